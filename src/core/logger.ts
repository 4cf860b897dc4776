// The logging interface handed to tasks and workers; a console logger by default, silence in tests.

/** Structured logger: a message and optional fields. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

type Level = "debug" | "info" | "warn" | "error";
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A logger writing one line per entry to stderr: JSON lines, or readable text for terminals. */
export function consoleLogger(options: { level?: Level; json?: boolean; fields?: Record<string, unknown> } = {}): Logger {
  const level = options.level ?? "info";
  const json = options.json ?? false;
  const base = options.fields ?? {};
  const write = (at: Level, message: string, fields?: Record<string, unknown>): void => {
    if (RANK[at] < RANK[level]) return;
    const all = { ...base, ...fields };
    if (json) {
      process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: at, msg: message, ...all })}\n`);
      return;
    }
    const extra = Object.entries(all)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
    process.stderr.write(`${new Date().toISOString()} ${at.toUpperCase().padEnd(5)} ${message}${extra ? ` ${extra}` : ""}\n`);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => consoleLogger({ level, json, fields: { ...base, ...fields } }),
  };
}
