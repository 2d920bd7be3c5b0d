// Functions and transformations the engine implements itself: the xlog module
// (formatting only; the sink is the host's log), pv-module helpers on variables
// and xavps, and the string transformations {s.len} and friends.
import { createHash } from 'node:crypto';
import { LogLevel, type ScriptHost } from './host';
import { FixupError, type BuiltArg, type PvRef, type ScriptRegistry } from './registry';
import { XavpRecord } from './store';
import { strToInt, toInt, toStr, type Val } from './values';
import type { RunState } from './run-state';

const LEVELS: Record<string, number> = {
  L_ALERT: LogLevel.ALERT,
  L_BUG: LogLevel.BUG,
  L_CRIT2: LogLevel.CRIT2,
  L_CRIT: LogLevel.CRIT,
  L_ERR: LogLevel.ERR,
  L_WARN: LogLevel.WARN,
  L_NOTICE: LogLevel.NOTICE,
  L_INFO: LogLevel.INFO,
  L_DBG: LogLevel.DBG,
};

const FIXED_LEVEL: Record<string, number> = {
  xdbg: LogLevel.DBG,
  xdbgl: LogLevel.DBG,
  xinfo: LogLevel.INFO,
  xnotice: LogLevel.NOTICE,
  xwarn: LogLevel.WARN,
  xerr: LogLevel.ERR,
  xbug: LogLevel.BUG,
  xcrit: LogLevel.CRIT,
  xalert: LogLevel.ALERT,
};

function levelOf(v: unknown): number {
  if (typeof v === 'number') return v;
  const s = toStr(v as Val);
  return LEVELS[s] ?? (/^-?\d+$/.test(s) ? strToInt(s) : LogLevel.ERR);
}

function xlogBuild<Ctx>(fname: string) {
  return (args: readonly BuiltArg<Ctx>[], env: { host: ScriptHost<Ctx> }) => {
    const host = env.host;
    const fixed = FIXED_LEVEL[fname];
    const msg = args[args.length - 1];
    if (msg === undefined) throw new Error(`${fname}() needs a message`);
    const lvl = fixed === undefined && args.length >= 2 ? (args[args.length - 2] ?? null) : null;
    const fac = args.length === 3 ? (args[0] ?? null) : null;
    const facility = fac && fac.isStatic ? String(fac.value) : undefined;
    const enabled = host.isLogEnabled ? host.isLogEnabled.bind(host) : () => true;
    if (lvl === null) {
      const level = fixed ?? LogLevel.ERR;
      return (ctx: Ctx, rs: RunState) => {
        if (enabled(level)) host.log(level, msg.get(ctx, rs) as string, ctx, facility);
        return 1;
      };
    }
    return (ctx: Ctx, rs: RunState) => {
      const level = lvl.isStatic ? (lvl.value as number) : levelOf(lvl.get(ctx, rs));
      if (!enabled(level)) return 1;
      host.log(level, msg.get(ctx, rs) as string, ctx, fac && !fac.isStatic ? String(fac.get(ctx, rs)) : facility);
      return 1;
    };
  };
}

function xlogFixup(args: readonly { isStatic: boolean; value: unknown }[]): unknown[] | void {
  if (args.length < 2) return;
  const li = args.length - 2;
  const out: unknown[] = args.map(() => undefined);
  const l = args[li];
  if (l?.isStatic) {
    const name = String(l.value);
    if (!(name in LEVELS))
      throw new FixupError(
        `unknown log level '${name}' (L_ALERT, L_BUG, L_CRIT, L_ERR, L_WARN, L_NOTICE, L_INFO, L_DBG)`,
        li,
      );
    out[li] = LEVELS[name];
  }
  const fac = args[0];
  if (args.length === 3 && fac?.isStatic && !/^LOG_[A-Z0-9]+$/.test(String(fac.value))) {
    throw new FixupError(`invalid log facility '${String(fac.value)}'`, 0);
  }
  return out;
}

export function registerBuiltinFunctions<Ctx>(reg: ScriptRegistry<Ctx>): void {
  for (const name of [
    'xlog',
    'xlogl',
    'xlogm',
    'xdbg',
    'xdbgl',
    'xinfo',
    'xnotice',
    'xwarn',
    'xerr',
    'xbug',
    'xcrit',
    'xalert',
  ]) {
    reg.registerFunction({
      name,
      fixup: name === 'xlog' || name === 'xlogl' ? xlogFixup : undefined,
      build: xlogBuild<Ctx>(name),
    });
  }
  reg.registerFunction({ name: 'pv_isset', exec: (ctx: Ctx, r: PvRef<Ctx>) => (r.get(ctx) !== null ? 1 : -1) });
  reg.registerFunction({
    name: 'pv_unset',
    exec: (ctx: Ctx, r: PvRef<Ctx>) => {
      r.set?.(ctx, null);
      return 1;
    },
  });
  reg.registerFunction({
    name: 'is_int',
    exec: (ctx: Ctx, r: PvRef<Ctx>) => (typeof r.get(ctx) === 'number' ? 1 : -1),
  });
  reg.registerFunction({
    name: 'not_empty',
    exec: (ctx: Ctx, r: PvRef<Ctx>) => {
      const v = r.get(ctx);
      return typeof v === 'string' && v.length > 0 ? 1 : -1;
    },
  });
  const storeFn = (name: string, f: (host: ScriptHost<Ctx>, ctx: Ctx, a: unknown[]) => number): void => {
    reg.registerFunction({
      name,
      build: (args, env) => (ctx, rs) =>
        f(
          env.host,
          ctx,
          args.map((a) => a.get(ctx, rs)),
        ),
    });
  };
  storeFn('xavp_rm', (h, ctx, [n]) => {
    h.store(ctx).xavps.removeAll(String(n));
    return 1;
  });
  storeFn('xavp_child_rm', (h, ctx, [n, c]) => {
    h.store(ctx).xavps.record(String(n))?.remove(String(c), 'all');
    return 1;
  });
  for (const [name, conv] of [
    ['xavp_child_seti', toInt],
    ['xavp_child_sets', toStr],
  ] as const) {
    storeFn(name, (h, ctx, [n, c, v]) => {
      const xs = h.store(ctx).xavps;
      let r = xs.record(String(n));
      if (r === null) {
        r = new XavpRecord();
        xs.push(String(n), r);
      }
      r.set(String(c), conv(v as Val));
      return 1;
    });
  }
  storeFn('pv_xavp_print', (h, ctx) => {
    const xs = h.store(ctx).xavps;
    for (const n of xs.names()) {
      xs.list(n).forEach((it, i) => {
        const body = it instanceof XavpRecord ? JSON.stringify(it.toObject()) : JSON.stringify(it);
        h.log(LogLevel.INFO, `XAVP ${n}[${i}] = ${body}\n`, ctx);
      });
    }
    return 1;
  });
}

function intParam(p: string | undefined, what: string): number {
  if (p === undefined || !/^-?\d+$/.test(p.trim())) throw new Error(`${what}: integer parameter expected`);
  return Number(p.trim());
}

export function registerBuiltinTransforms<Ctx>(reg: ScriptRegistry<Ctx>): void {
  const simple = (name: string, f: (s: string) => Val): void => {
    reg.registerTransform({
      name,
      compile: (params) => {
        if (params.length > 0) throw new Error('no parameters expected');
        // Kamailio: a transformation of $null fails and prints as an empty string
        return (v) => (v === null ? '' : f(toStr(v)));
      },
    });
  };
  simple('s.len', (s) => s.length);
  simple('s.int', (s) => strToInt(s.trim().replace(/^([+-]?\d+).*$/, '$1')));
  simple('s.tolower', (s) => s.toLowerCase());
  simple('s.toupper', (s) => s.toUpperCase());
  simple('s.trim', (s) => s.trim());
  simple('s.rtrim', (s) => s.trimEnd());
  simple('s.ltrim', (s) => s.trimStart());
  simple('s.md5', (s) => createHash('md5').update(s).digest('hex'));
  simple('s.sha256', (s) => createHash('sha256').update(s).digest('hex'));
  reg.registerTransform({
    name: 's.substr',
    compile: (params) => {
      const off = intParam(params[0], 's.substr');
      const len = intParam(params[1], 's.substr');
      return (v) => {
        if (v === null) return '';
        const s = toStr(v);
        const start = off < 0 ? Math.max(0, s.length + off) : off;
        return len === 0 ? s.slice(start) : s.slice(start, start + len);
      };
    },
  });
  reg.registerTransform({
    name: 's.strip',
    compile: (params) => {
      const n = intParam(params[0], 's.strip');
      return (v) => (v === null ? '' : toStr(v).slice(n));
    },
  });
  reg.registerTransform({
    name: 's.striptail',
    compile: (params) => {
      const n = intParam(params[0], 's.striptail');
      return (v) => (v === null ? '' : toStr(v).slice(0, Math.max(0, toStr(v).length - n)));
    },
  });
}
