// A fake SIP side for unit tests and the micro-benchmark: every function of the
// signature table gets an implementation that records the call and answers from
// the context, and the usual pseudo-variables read/write plain context fields.
// Nothing here is used by the daemon.
import { FixupError, type ScriptRegistry } from './registry';
import { KAMAILIO_FUNCTIONS } from './kamailio-signatures';
import type { SimpleCtx } from './host';
import { MessageStore } from './store';
import type { Val } from './values';

export interface FakeCtx extends SimpleCtx {
  method: string;
  ruri: string;
  du: string | null;
  from: string;
  to: string;
  toTag: string | null;
  callId: string;
  srcIp: string;
  srcPort: number;
  status: number;
  headers: Map<string, string>;
  /** Calls made, as "name(arg1,arg2)". */
  calls: string[];
  /** Return code per function name (default 1); a function gets (ctx, ...args). */
  results: Record<string, number | ((ctx: FakeCtx, ...args: unknown[]) => number | Promise<number>)>;
}

export function newFakeCtx(init: Partial<FakeCtx> = {}): FakeCtx {
  return {
    flags: 0,
    store: new MessageStore(),
    method: 'INVITE',
    ruri: 'sip:alice@example.com',
    du: null,
    from: 'sip:bob@example.org',
    to: 'sip:alice@example.com',
    toTag: null,
    callId: 'call-1@test',
    srcIp: '127.0.0.1',
    srcPort: 5070,
    status: 0,
    headers: new Map(),
    calls: [],
    results: {},
    ...init,
  };
}

const URI = /^(sips?):(?:([^@;>]*)@)?([^:;>]+)(?::(\d+))?/;

function uriPart(uri: string | null, part: 'user' | 'host' | 'port'): Val {
  if (uri === null) return null;
  const m = URI.exec(uri);
  if (!m) return null;
  if (part === 'user') return m[2] === undefined || m[2] === '' ? null : m[2];
  if (part === 'host') return m[3] ?? null;
  return m[4] ?? null;
}

function fmtArg(a: unknown): string {
  if (a instanceof RegExp) return a.source;
  if (a instanceof Set) return [...a].join('|');
  if (typeof a === 'object' && a !== null && 'text' in a) return String((a as { text: string }).text);
  return String(a);
}

function setUser(uri: string, user: string | null): string {
  const m = URI.exec(uri);
  if (!m) return uri;
  return `${m[1]}:${user ? user + '@' : ''}${m[3]}${m[4] ? ':' + m[4] : ''}${uri.slice(m[0].length)}`;
}

/** Register fake SIP pseudo-variables over FakeCtx fields. */
function registerFakePvs(reg: ScriptRegistry<FakeCtx>): void {
  const ro = (name: string, get: (c: FakeCtx) => Val, module = 'pv'): void => {
    reg.registerPv({ name, module, get: (c) => get(c) });
  };
  reg.registerPv({
    name: 'ru',
    module: 'pv',
    get: (c) => c.ruri,
    set: (c, _p, v) => void (c.ruri = v === null ? c.ruri : String(v)),
  });
  reg.registerPv({
    name: 'rU',
    module: 'pv',
    get: (c) => uriPart(c.ruri, 'user'),
    set: (c, _p, v) => void (c.ruri = setUser(c.ruri, v === null ? null : String(v))),
  });
  ro('rd', (c) => uriPart(c.ruri, 'host'));
  ro('rp', (c) => uriPart(c.ruri, 'port') ?? 5060);
  reg.registerPv({
    name: 'du',
    module: 'pv',
    get: (c) => c.du,
    set: (c, _p, v) => void (c.du = v === null ? null : String(v)),
  });
  ro('fu', (c) => c.from);
  ro('fU', (c) => uriPart(c.from, 'user'));
  ro('fd', (c) => uriPart(c.from, 'host'));
  ro('ft', () => 'ftag');
  ro('tu', (c) => c.to);
  ro('tU', (c) => uriPart(c.to, 'user'));
  ro('td', (c) => uriPart(c.to, 'host'));
  ro('tt', (c) => c.toTag);
  ro('ci', (c) => c.callId);
  ro('cs', () => 1);
  ro('rm', (c) => c.method);
  ro('rs', (c) => (c.status ? c.status : null));
  ro('rr', () => null);
  ro('si', (c) => c.srcIp);
  ro('sp', (c) => c.srcPort);
  ro('Ri', () => '127.0.0.1');
  ro('Rp', () => 5060);
  ro('pr', () => 'udp');
  ro('proto', () => 'udp');
  ro('ua', (c) => c.headers.get('user-agent') ?? null);
  ro('ml', () => 400);
  reg.registerPv({
    name: 'hdr',
    module: 'pv',
    parse: (inner) => inner.toLowerCase(),
    get: (c, name: string) => c.headers.get(name) ?? null,
  });
  ro('T_reply_code', (c) => (c.status ? c.status : null), 'tmx');
  reg.registerPv({
    name: 'T_req',
    module: 'tmx',
    parse: (inner, api) => api.parsePv(inner),
    get: (c, ref: { get(c: FakeCtx): Val }) => ref.get(c),
  });
  reg.registerPv({
    name: 'dsv',
    module: 'dispatcher',
    parse: (inner) => {
      if (!['code', 'reason', 'flags', 'uri', 'setid', 'group'].includes(inner))
        throw new Error(`unknown key '${inner}'`);
      return inner;
    },
    get: (c, k: string) => (k === 'uri' ? c.ruri : k === 'code' ? c.status : null),
  });
}

/**
 * Register every function of the signature table (except those the engine
 * implements itself) with a recording fake. Behaviour: result from ctx.results,
 * else is_method/has_totag/t_check_status look at the context, else 1.
 */
function registerFakeFunctions(reg: ScriptRegistry<FakeCtx>, record = true): void {
  for (const sig of KAMAILIO_FUNCTIONS) {
    const existing = reg.func(sig.name);
    if (existing && existing.def !== null) continue;
    if (sig.name === 'setflag' || sig.name === 'resetflag' || sig.name === 'isflagset') continue;
    const name = sig.name;
    reg.registerFunction({
      name,
      fixup:
        name === 'is_method'
          ? (args) => {
              const a = args[0];
              if (!a?.isStatic) return;
              const set = new Set(String(a.value).toUpperCase().split('|'));
              for (const m of set) if (!/^[A-Z]+$/.test(m)) throw new FixupError(`invalid method '${m}'`, 0);
              return [set];
            }
          : undefined,
      exec: (ctx: FakeCtx, ...args: unknown[]) => {
        if (record) ctx.calls.push(`${name}(${args.map(fmtArg).join(',')})`);
        const r = ctx.results[name];
        if (typeof r === 'function') return r(ctx, ...args);
        if (typeof r === 'number') return r;
        switch (name) {
          case 'is_method':
            return (args[0] as Set<string>).has(ctx.method) ? 1 : -1;
          case 'has_totag':
            return ctx.toTag ? 1 : -1;
          case 't_check_status':
            return (args[0] as RegExp).test(String(ctx.status)) ? 1 : -1;
          default:
            return FALSE_BY_DEFAULT.has(name) ? -1 : 1;
        }
      },
    });
  }
}

/** Functions that answer "no" unless ctx.results says otherwise (a fresh initial request). */
const FALSE_BY_DEFAULT = new Set([
  't_precheck_trans',
  't_check_trans',
  't_is_canceled',
  't_branch_timeout',
  't_branch_replied',
  'loose_route',
  'is_present_hf',
  't_any_timeout',
  't_any_replied',
  't_is_expired',
]);

/** Modules the fake side pretends to implement (so loadmodule gives no warning). */
const FAKE_MODULES = [
  'tm',
  'tmx',
  'sl',
  'rr',
  'maxfwd',
  'textops',
  'siputils',
  'sanity',
  'ctl',
  'jsonrpcs',
  'dispatcher',
];

export function registerFakeSip(reg: ScriptRegistry<FakeCtx>, record = true): ScriptRegistry<FakeCtx> {
  for (const m of FAKE_MODULES) reg.registerModule({ name: m });
  registerFakePvs(reg);
  registerFakeFunctions(reg, record);
  return reg;
}
