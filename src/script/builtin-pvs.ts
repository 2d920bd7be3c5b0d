// Pseudo-variables the engine implements itself (Kamailio's pv module parts that
// need no SIP): $var, $avp, $xavp, $Ts, $pp, $RANDOM, $env. SIP ones ($ru, $si,
// $T_reply_code, $ds*, ...) are registered by the core and the modules.
import type { Getter } from './compile-env';
import type { PvParseApi, ScriptRegistry } from './registry';
import { XavpRecord } from './store';
import { toInt, type Val } from './values';

type Idx<Ctx> = { k: 'none' } | { k: 'all' } | { k: 'num'; v: number } | { k: 'pv'; read: Getter<Ctx, Val> };

function parseIdx<Ctx>(text: string | undefined, api: PvParseApi<Ctx>): Idx<Ctx> {
  if (text === undefined) return { k: 'none' };
  const t = text.trim();
  if (t === '*') return { k: 'all' };
  if (/^-?\d+$/.test(t)) return { k: 'num', v: Number(t) };
  if (t.startsWith('$')) {
    const ref = api.parsePv(t);
    return { k: 'pv', read: (ctx) => ref.get(ctx) };
  }
  throw new Error(`invalid index '${t}'`);
}

function idxOf<Ctx>(i: Idx<Ctx>, ctx: Ctx): number {
  switch (i.k) {
    case 'num':
      return i.v;
    case 'pv':
      return toInt(i.read(ctx, undefined as never));
    default:
      return 0;
  }
}

const NAME = /^[A-Za-z0-9_.:-]+$/;

interface XavpParam<Ctx> {
  readonly name: string;
  readonly idx: Idx<Ctx>;
  readonly field: string | null;
  readonly fidx: Idx<Ctx>;
  readonly api: PvParseApi<Ctx>;
}

const XAVP_INNER = /^([A-Za-z0-9_]+)(?:\[([^\]]+)\])?(?:=>([A-Za-z0-9_]+)(?:\[([^\]]+)\])?)?$/;

function xavpParse<Ctx>(inner: string, api: PvParseApi<Ctx>): XavpParam<Ctx> {
  const m = XAVP_INNER.exec(inner.trim());
  if (!m) throw new Error(`expected name[index]=>field[index], got '${inner}'`);
  return { name: m[1]!, idx: parseIdx(m[2], api), field: m[3] ?? null, fidx: parseIdx(m[4], api), api };
}

function xavpGet<Ctx>(ctx: Ctx, p: XavpParam<Ctx>): Val {
  const xs = p.api.host.store(ctx).xavps;
  const i = idxOf(p.idx, ctx);
  if (p.field === null) {
    const it = xs.get(p.name, i);
    if (it === null) return null;
    return it instanceof XavpRecord ? `<<xavp:${p.name}>>` : it;
  }
  return xs.field(p.name, i, p.field, idxOf(p.fidx, ctx));
}

/** Assignment with Kamailio's pv_set_xavp() rules. */
function xavpSet<Ctx>(ctx: Ctx, p: XavpParam<Ctx>, v: Val): void {
  const xs = p.api.host.store(ctx).xavps;
  if (v === null) {
    if (p.field === null) {
      if (p.idx.k === 'all') xs.removeAll(p.name);
      else xs.removeAt(p.name, idxOf(p.idx, ctx));
      return;
    }
    const targets =
      p.idx.k === 'all'
        ? xs.list(p.name).filter((x): x is XavpRecord => x instanceof XavpRecord)
        : [xs.record(p.name, idxOf(p.idx, ctx))].filter((x): x is XavpRecord => x !== null);
    for (const r of targets) {
      if (p.fidx.k === 'all') r.remove(p.field, 'all');
      else r.remove(p.field, idxOf(p.fidx, ctx));
    }
    return;
  }
  if (p.field === null) {
    if (p.idx.k === 'all') return;
    if (p.idx.k === 'none') xs.push(p.name, v);
    else xs.setAt(p.name, idxOf(p.idx, ctx), v);
    return;
  }
  if (p.idx.k === 'none') {
    xs.push(p.name, new XavpRecord([[p.field, v]]));
    return;
  }
  if (p.idx.k === 'all') return;
  const r = xs.record(p.name, idxOf(p.idx, ctx));
  if (r === null) return;
  if (p.fidx.k === 'none') r.add(p.field, v);
  else if (p.fidx.k !== 'all') r.set(p.field, v, idxOf(p.fidx, ctx));
}

interface AvpParam<Ctx> {
  readonly name: string;
  readonly idx: Idx<Ctx>;
  readonly api: PvParseApi<Ctx>;
}

export function registerBuiltinPvs<Ctx>(reg: ScriptRegistry<Ctx>): void {
  reg.registerPv({
    name: 'var',
    module: 'pv',
    parse(inner, api): { slot: number; vars: Val[] } {
      if (!/^[A-Za-z0-9_.]+$/.test(inner)) throw new Error(`bad script variable name '${inner}'`);
      return { slot: api.varSlot(inner), vars: api.vars };
    },
    get: (_ctx, p: { slot: number; vars: Val[] }) => p.vars[p.slot] ?? null,
    set: (_ctx, p: { slot: number; vars: Val[] }, v) => {
      p.vars[p.slot] = v === null ? 0 : v;
    },
  });
  reg.registerPv({
    name: 'avp',
    module: 'pv',
    indexed: true,
    parse(inner, api): AvpParam<Ctx> {
      const name = inner.startsWith('s:') ? inner.slice(2) : inner;
      if (!NAME.test(name)) throw new Error(`bad AVP name '${inner}'`);
      return { name, idx: parseIdx(api.index ?? undefined, api), api };
    },
    get: (ctx, p: AvpParam<Ctx>) => p.api.host.store(ctx).avps.get(p.name, idxOf(p.idx, ctx)),
    set: (ctx, p: AvpParam<Ctx>, v) => {
      const avps = p.api.host.store(ctx).avps;
      if (v === null) {
        if (p.idx.k === 'all') avps.remove(p.name);
        else avps.remove(p.name, idxOf(p.idx, ctx));
      } else if (p.idx.k === 'all') {
        avps.replace(p.name, v);
      } else {
        avps.add(p.name, v);
      }
    },
  });
  reg.registerPv({ name: 'xavp', module: 'pv', parse: xavpParse, get: xavpGet, set: xavpSet });
  reg.registerPv({ name: 'Ts', module: 'pv', get: () => Math.floor(Date.now() / 1000) });
  reg.registerPv({ name: 'pp', module: 'pv', get: () => process.pid });
  reg.registerPv({ name: 'RANDOM', module: 'pv', get: () => Math.floor(Math.random() * 0x7fffffff) });
  reg.registerPv({
    name: 'env',
    module: 'pv',
    parse: (inner) => inner,
    get: (_ctx, name: string) => process.env[name] ?? null,
  });
}
