// What the engine needs from the SIP core at run time, for an opaque Ctx.
import { MessageStore } from './store';

/** Kamailio log levels (L_ALERT..L_DBG). */
export const LogLevel = {
  ALERT: -5,
  BUG: -4,
  CRIT2: -3,
  CRIT: -2,
  ERR: -1,
  WARN: 0,
  NOTICE: 1,
  INFO: 2,
  DBG: 3,
} as const;

/** Operand of a `myself` check: uri == myself, from_uri == myself, src_ip == myself... */
export type MyselfOperand = 'uri' | 'from_uri' | 'to_uri' | 'src_ip' | 'dst_ip' | 'snd_ip' | 'to_ip';

export interface ScriptHost<Ctx> {
  /** Message flags (setflag/resetflag/isflagset), a 32-bit mask. */
  getFlags(ctx: Ctx): number;
  setFlags(ctx: Ctx, flags: number): void;
  /** Per-message AVP/XAVP storage ($avp, $xavp, dispatcher records). */
  store(ctx: Ctx): MessageStore;
  /**
   * Log sink for xlog()/xdbg() and for script run-time errors.
   * ctx is null for messages not tied to a request (load time).
   */
  log(level: number, message: string, ctx: Ctx | null, facility?: string): void;
  /** Optional: false when `level` would be filtered, so xlog() skips formatting (as Kamailio does). */
  isLogEnabled?(level: number): boolean;
  /** `uri == myself` and friends; when absent, configs using myself are refused. */
  isMyself?(ctx: Ctx, operand: MyselfOperand): boolean;
}

/** A context shape good enough for tests and benchmarks. */
export interface SimpleCtx {
  flags: number;
  store: MessageStore;
}

export interface LogRecord {
  level: number;
  message: string;
  facility?: string;
}

/** Host over SimpleCtx that keeps log lines in memory. */
export function simpleHost<Ctx extends SimpleCtx>(
  opts: {
    log?: LogRecord[];
    myself?: (ctx: Ctx, operand: MyselfOperand) => boolean;
  } = {},
): ScriptHost<Ctx> {
  const sink = opts.log;
  return {
    getFlags: (ctx) => ctx.flags,
    setFlags: (ctx, f) => {
      ctx.flags = f;
    },
    store: (ctx) => ctx.store,
    log: (level, message, _ctx, facility) => {
      if (sink) sink.push(facility === undefined ? { level, message } : { level, message, facility });
    },
    ...(opts.myself ? { isMyself: opts.myself } : {}),
  };
}
