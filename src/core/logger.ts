// The logging interface handed to tasks and workers; a console logger by default, silence in tests.

/** Structured logger: a message and optional fields. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /** Whether entries of `level` are written; callers skip building fields when not. Absent means every level is. */
  isLevelEnabled?(level: LogLevel): boolean;
}

/** The levels of a Logger, least severe first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Whether `log` writes entries of `level` (true for loggers that cannot say). */
export function levelEnabled(log: Logger, level: LogLevel): boolean {
  return log.isLevelEnabled === undefined || log.isLevelEnabled(level);
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
  isLevelEnabled: () => false,
};

type Level = LogLevel;
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Options of the console logger. */
export interface ConsoleLoggerOptions {
  level?: LogLevel;
  json?: boolean;
  fields?: Record<string, unknown>;
  /** Where lines go (default process.stderr). */
  stream?: { write(line: string): unknown };
}

/** A logger writing one line per entry to stderr: JSON lines, or readable text for terminals. */
export function consoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const json = options.json ?? false;
  const base = options.fields ?? {};
  const stream = options.stream ?? process.stderr;
  const write = (at: Level, message: string, fields?: Record<string, unknown>): void => {
    if (RANK[at] < RANK[level]) return;
    const all = { ...base, ...fields };
    if (json) {
      stream.write(`${JSON.stringify({ time: new Date().toISOString(), level: at, msg: message, ...all })}\n`);
      return;
    }
    const extra = Object.entries(all)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
    stream.write(`${new Date().toISOString()} ${at.toUpperCase().padEnd(5)} ${message}${extra ? ` ${extra}` : ""}\n`);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => consoleLogger({ level, json, stream, fields: { ...base, ...fields } }),
    isLevelEnabled: (at) => RANK[at] >= RANK[level],
  };
}
