/**
 * Logging: pino, one JSON line per event, level from the config's `debug=` (Kamailio's
 * numbers: -1 err, 0 warn, 1 notice, 2 info, 3 debug). Written synchronously so a crash
 * or a signal never loses the last lines.
 */
import pino from 'pino';

export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  /** Changes the level at run time (Kamailio's debug number). */
  setDebug(level: number): void;
}

export function pinoLevel(debug: number): pino.Level {
  if (debug <= -1) return 'error';
  if (debug === 0) return 'warn';
  if (debug <= 2) return 'info';
  return 'debug';
}

/** A logger writing to stderr (fd 2) or stdout (fd 1). */
export function createLogger(opts: { debug: number; fd: 1 | 2; name?: string }): Logger {
  const p = pino(
    { name: opts.name ?? 'dsd', level: pinoLevel(opts.debug), base: { pid: process.pid } },
    pino.destination({ fd: opts.fd, sync: true }),
  );
  return {
    error: (m) => p.error(m),
    warn: (m) => p.warn(m),
    info: (m) => p.info(m),
    debug: (m) => p.debug(m),
    setDebug: (d) => { p.level = pinoLevel(d); },
  };
}

/** A logger that keeps nothing, for tests and tools. */
export const silentLogger: Logger = {
  error() {}, warn() {}, info() {}, debug() {}, setDebug() {},
};
