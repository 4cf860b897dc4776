// Loggers of pino's shape (`info(fields, message)`, `child(bindings)`), used as Caudex's Logger
// (`info(message, fields)`). Without this, a pino instance given as `logger` took the fields for
// a format argument and dropped them.
import type { Logger, LogLevel } from "./logger.js";

/** A logger called as pino is: fields first, then the message. */
export interface PinoLikeLogger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
  child(bindings: Record<string, unknown>): PinoLikeLogger;
  isLevelEnabled?(level: string): boolean;
}

/** True for a pino instance (it has `levels` and `bindings()`, which no Caudex Logger has). */
export function isPinoLike(logger: unknown): logger is PinoLikeLogger {
  if (typeof logger !== "object" || logger === null) return false;
  const candidate = logger as { levels?: unknown; bindings?: unknown; info?: unknown; child?: unknown };
  return typeof candidate.levels === "object" && typeof candidate.bindings === "function" && typeof candidate.info === "function" && typeof candidate.child === "function";
}

/** A Caudex Logger writing through a pino-shaped logger: each entry's fields as pino's merged object. */
export function fromPino(pino: PinoLikeLogger): Logger {
  const enabled = pino.isLevelEnabled?.bind(pino);
  return {
    debug: (message, fields) => pino.debug(fields ?? {}, message),
    info: (message, fields) => pino.info(fields ?? {}, message),
    warn: (message, fields) => pino.warn(fields ?? {}, message),
    error: (message, fields) => pino.error(fields ?? {}, message),
    child: (fields) => fromPino(pino.child(fields)),
    ...(enabled === undefined ? {} : { isLevelEnabled: (level: LogLevel) => enabled(level) }),
  };
}

/** A Caudex Logger from either kind: a pino instance is adapted, anything else is taken as a Logger. */
export function asLogger(logger: Logger | PinoLikeLogger): Logger {
  return isPinoLike(logger) ? fromPino(logger) : logger;
}
