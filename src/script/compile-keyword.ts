// Old-style comparisons on core keywords: `method == "INVITE"`, `uri == myself`,
// `src_ip == 10.0.0.0/8`, `proto == UDP`, `status == "200"`. As in Kamailio,
// string keywords compare case-insensitively and regexes ignore case. Operand
// values come from the pseudo-variables the core registers ($rm, $ru, $si...).
import { BlockList, isIPv6 } from 'node:net';
import type { Expr, Keyword } from './ast';
import type { CompileEnv, Getter, PvHandle } from './compile-env';
import type { CExpr } from './compile-types';
import type { MyselfOperand } from './host';
import { parsePvText } from './pv-syntax';
import { compilePosixRegex, RegexCache, RegexError } from './regex';
import { toInt, toStr, type Val } from './values';

const OPERAND_PV: Record<Keyword, readonly string[]> = {
  method: ['rm'],
  uri: ['ru'],
  status: ['rs'],
  from_uri: ['fu'],
  to_uri: ['tu'],
  src_ip: ['si'],
  dst_ip: ['Ri'],
  src_port: ['sp'],
  dst_port: ['Rp'],
  proto: ['pr', 'proto'],
  af: ['af'],
  'msg:len': ['ml'],
  snd_ip: [],
  to_ip: [],
  snd_port: [],
  to_port: [],
  snd_proto: [],
  snd_af: [],
};

const b = (x: boolean): number => (x ? 1 : 0);

function operand<Ctx>(kw: Keyword, env: CompileEnv<Ctx>, pos: Expr['pos']): PvHandle<Ctx> {
  const names = OPERAND_PV[kw];
  if (names.length === 0) return env.fail(pos, `'${kw}' is only meaningful in onsend_route, which dsd does not run`);
  const found = names.find((n) => env.registry.pv(n) !== undefined) ?? names[0];
  return env.pvFromSyntax(parsePvText('$' + found), pos, true);
}

function normIp(s: string): string {
  const t = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
  return t.toLowerCase();
}

function maskBits(mask: string): number {
  if (/^\d+$/.test(mask)) return Number(mask);
  return mask.split('.').reduce((n, o) => n + (Number(o) >>> 0).toString(2).replace(/0/g, '').length, 0);
}

function netMatcher(text: string): (ip: string) => boolean {
  const [addrRaw, mask] = text.split('/');
  const addr = normIp(addrRaw ?? '');
  const type = isIPv6(addr) ? 'ipv6' : 'ipv4';
  const list = new BlockList();
  if (mask === undefined) list.addAddress(addr, type);
  else list.addSubnet(addr, maskBits(mask), type);
  return (ip) => {
    const v = normIp(ip);
    if (v === '') return false;
    try {
      return list.check(v, isIPv6(v) ? 'ipv6' : 'ipv4');
    } catch {
      return false;
    }
  };
}

const AF: Record<string, string> = {
  inet: 'inet',
  ipv4: 'inet',
  '4': 'inet',
  inet6: 'inet6',
  ipv6: 'inet6',
  '6': 'inet6',
};

export function compileKeyword<Ctx>(
  e: Extract<Expr, { k: 'kw' }>,
  env: CompileEnv<Ctx>,
  sub: (x: Expr) => CExpr<Ctx>,
): CExpr<Ctx> {
  const { kw, op, pos } = e;
  const neg = op === '!=';
  const r = e.r;
  if (r.k === 'myself') {
    const which = (
      kw === 'src_ip' || kw === 'dst_ip' || kw === 'uri' || kw === 'from_uri' || kw === 'to_uri' ? kw : 'uri'
    ) as MyselfOperand;
    const check = env.host.isMyself;
    if (!check) {
      if (env.hostIsReal) return env.fail(pos, "'myself' is not supported: the core provides no myself check");
      return { ev: () => 0, async: false };
    }
    const host = env.host;
    return { ev: (ctx) => b(check.call(host, ctx, which) !== neg), async: false };
  }
  const val = operand(kw, env, pos).read;
  if (r.k === 'net') {
    const m = netMatcher(r.text);
    return { ev: (c, rs) => b(m(toStr(val(c, rs))) !== neg), async: false };
  }
  const rhs = sub(r);
  if (rhs.async) return env.fail(pos, `function calls are not allowed on the right of '${kw} ${op}'`);
  const rv = rhs.ev as Getter<Ctx, Val>;
  const k = rhs.konst;
  if (op === '=~' || op === '!~') {
    const negm = op === '!~';
    if (k) {
      let re: RegExp;
      try {
        re = compilePosixRegex(toStr(k.v));
      } catch (err) {
        if (err instanceof RegexError) return env.fail(pos, err.message);
        throw err;
      }
      return { ev: (c, rs) => b(re.test(toStr(val(c, rs))) !== negm), async: false };
    }
    const cache = new RegexCache();
    return {
      ev: (c, rs) => {
        const re = cache.get(toStr(rv(c, rs)));
        return re === null ? b(negm) : b(re.test(toStr(val(c, rs))) !== negm);
      },
      async: false,
    };
  }
  switch (kw) {
    case 'method':
    case 'uri':
    case 'status':
    case 'from_uri':
    case 'to_uri': {
      if (op !== '==' && op !== '!=') return env.fail(pos, `invalid operator '${op}' for '${kw}'`);
      if (k) {
        const want = toStr(k.v).toLowerCase();
        return { ev: (c, rs) => b((toStr(val(c, rs)).toLowerCase() === want) !== neg), async: false };
      }
      return {
        ev: (c, rs) => b((toStr(val(c, rs)).toLowerCase() === toStr(rv(c, rs)).toLowerCase()) !== neg),
        async: false,
      };
    }
    case 'src_ip':
    case 'dst_ip':
      return { ev: (c, rs) => b((normIp(toStr(val(c, rs))) === normIp(toStr(rv(c, rs)))) !== neg), async: false };
    case 'proto':
    case 'af': {
      const norm = (s: string): string => (kw === 'af' ? (AF[s.toLowerCase()] ?? s.toLowerCase()) : s.toLowerCase());
      return { ev: (c, rs) => b((norm(toStr(val(c, rs))) === norm(toStr(rv(c, rs)))) !== neg), async: false };
    }
    default: {
      const cmp: Record<string, (x: number, y: number) => boolean> = {
        '==': (x, y) => x === y,
        '!=': (x, y) => x !== y,
        '>': (x, y) => x > y,
        '<': (x, y) => x < y,
        '>=': (x, y) => x >= y,
        '<=': (x, y) => x <= y,
      };
      const f = cmp[op];
      if (!f) return env.fail(pos, `invalid operator '${op}' for '${kw}'`);
      return { ev: (c, rs) => b(f(toInt(val(c, rs)), toInt(rv(c, rs)))), async: false };
    }
  }
}
