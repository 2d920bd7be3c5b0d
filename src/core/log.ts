/**
 * Logging: pino, one JSON line per event with its fields as real JSON fields, the level as a
 * word and the time in ISO 8601. Levels follow Kamailio's `debug` numbers: -1 err, 0 warn,
 * 1 notice, 2 info, 3 debug. NOTICE carries what an operator always needs — start-up, stop,
 * reloads, the audit trail of the control socket — and is printed from debug=0 (Kamailio's
 * default) up; debug=-1 keeps errors only. Where the lines go is a LogTarget: stderr or
 * stdout as JSON, the same in a human-readable form for a terminal, or syslog (log-syslog.ts).
 * Written synchronously so a crash or a signal never loses the last lines.
 */
import pino from 'pino';
import { SyslogStream, type SyslogTarget } from './log-syslog';

type LogFields = Readonly<Record<string, unknown>>;
type LogFn = (msg: string, fields?: LogFields) => void;

export interface Logger {
  error: LogFn;
  warn: LogFn;
  notice: LogFn;
  info: LogFn;
  debug: LogFn;
  /** Changes the level at run time (Kamailio's debug number). */
  setDebug(level: number): void;
  /** The current level as Kamailio's debug number. */
  getDebug(): number;
  /** Flushes and lets go of the destination (the syslog helper process). */
  close(): Promise<void>;
}

type LogFormat = 'json' | 'pretty';

export type LogTarget =
  | { readonly kind: 'fd'; readonly fd: 1 | 2; readonly format: LogFormat }
  | ({ readonly kind: 'syslog' } & SyslogTarget);

const LEVEL_VALUES = { error: 50, warn: 40, notice: 35, info: 30, debug: 20 } as const;
type LevelName = keyof typeof LEVEL_VALUES;

function pinoLevel(debug: number): LevelName {
  if (debug <= -1) return 'error';
  if (debug <= 1) return 'notice';
  if (debug === 2) return 'info';
  return 'debug';
}

function prettyStream(fd: 1 | 2): pino.DestinationStream {
  // pino-pretty is loaded only for terminals: a service never pays for it.

  const pretty = require('pino-pretty') as (o: object) => pino.DestinationStream;
  const tty = fd === 2 ? process.stderr.isTTY : process.stdout.isTTY;
  return pretty({
    destination: fd,
    sync: true,
    colorize: Boolean(tty),
    singleLine: true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,name,hostname',
    customLevels: Object.entries(LEVEL_VALUES)
      .map(([k, v]) => `${k}:${v}`)
      .join(','),
  });
}

export function createLogger(opts: { debug: number; target: LogTarget; name?: string }): Logger {
  let stream: pino.DestinationStream;
  let closeStream: () => Promise<void> = async () => undefined;
  const t = opts.target;
  if (t.kind === 'syslog') {
    const s = new SyslogStream(t);
    stream = s;
    closeStream = () => s.close();
  } else {
    stream = t.format === 'pretty' ? prettyStream(t.fd) : pino.destination({ fd: t.fd, sync: true });
  }
  const p = pino<'notice'>(
    {
      name: opts.name ?? 'dsd',
      level: pinoLevel(opts.debug),
      customLevels: { notice: LEVEL_VALUES.notice },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
  let debug = opts.debug;
  const fn =
    (level: LevelName): LogFn =>
    (msg, fields) => {
      if (fields) p[level](fields, msg);
      else p[level](msg);
    };
  return {
    error: fn('error'),
    warn: fn('warn'),
    notice: fn('notice'),
    info: fn('info'),
    debug: fn('debug'),
    setDebug: (d) => {
      debug = d;
      p.level = pinoLevel(d);
    },
    getDebug: () => debug,
    close: () => closeStream(),
  };
}

/** A logger that keeps nothing, for tests and tools. */
export const silentLogger: Logger = {
  error() {},
  warn() {},
  notice() {},
  info() {},
  debug() {},
  setDebug() {},
  getDebug: () => 0,
  close: async () => undefined,
};
