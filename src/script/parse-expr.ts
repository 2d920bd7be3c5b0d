// Expressions of route blocks, following Kamailio's cfg.y operator precedence (lowest first):
//   || or | && and | '|' | & | ^ | << | >> | == != =~ !~ eq ne ieq ine
//   | > < >= <= | + - | * / % mod | unary ! not ~ - | defined | (int) (str)
import type { BinOp, Call, Expr, Keyword } from './ast';
import type { SourcePos } from './errors';
import { TokenStream } from './token-stream';
import { describe, type Token } from './tokens';

const PREC: Record<BinOp, number> = {
  '||': 1,
  '&&': 2,
  '|': 3,
  '&': 4,
  '^': 5,
  '<<': 6,
  '>>': 7,
  '==': 8,
  '!=': 8,
  '=~': 8,
  '!~': 8,
  eq: 8,
  ne: 8,
  ieq: 8,
  ine: 8,
  '>': 9,
  '<': 9,
  '>=': 9,
  '<=': 9,
  '+': 10,
  '-': 10,
  '*': 11,
  '/': 11,
  '%': 11,
};
const PREC_CMP = 9;

const WORD_OPS: Record<string, BinOp> = { or: '||', and: '&&', mod: '%', eq: 'eq', ne: 'ne', ieq: 'ieq', ine: 'ine' };

const KEYWORDS: Record<string, Keyword> = {
  method: 'method',
  uri: 'uri',
  status: 'status',
  from_uri: 'from_uri',
  to_uri: 'to_uri',
  src_ip: 'src_ip',
  dst_ip: 'dst_ip',
  snd_ip: 'snd_ip',
  to_ip: 'to_ip',
  src_port: 'src_port',
  dst_port: 'dst_port',
  snd_port: 'snd_port',
  to_port: 'to_port',
  proto: 'proto',
  snd_proto: 'snd_proto',
  to_proto: 'snd_proto',
  af: 'af',
  snd_af: 'snd_af',
  to_af: 'snd_af',
};
const STR_KW = new Set<Keyword>(['method', 'uri', 'status', 'from_uri', 'to_uri']);
const IP_KW = new Set<Keyword>(['src_ip', 'dst_ip', 'snd_ip', 'to_ip']);

/** Expressions and calls; the statement parser extends it (one cursor, one diagnostics sink). */
export class ExprParser extends TokenStream {
  parseCall(): Call {
    const nameTok = this.next();
    this.expectOp('(', `after '${nameTok.text}'`);
    const args: Expr[] = [];
    if (!this.acceptOp(')')) {
      for (;;) {
        args.push(this.parseExpr());
        if (this.acceptOp(')')) break;
        this.expectOp(',', `or ')' in the arguments of ${nameTok.text}()`);
      }
    }
    return { name: nameTok.text, args, pos: nameTok.pos };
  }

  private binOpAt(t: Token): BinOp | null {
    if (t.kind === 'op') return t.text in PREC ? (t.text as BinOp) : null;
    if (t.kind === 'id') return WORD_OPS[t.text] ?? null;
    return null;
  }

  parseExpr(minPrec = 1): Expr {
    let left = this.parseUnary();
    for (;;) {
      const t = this.peek();
      const op = this.binOpAt(t);
      if (op === null) return left;
      const p = PREC[op];
      if (p < minPrec) return left;
      this.next();
      const right = this.parseExpr(p + 1);
      left = { k: 'bin', op, l: left, r: right, pos: left.pos };
    }
  }

  private parseUnary(): Expr {
    const t = this.peek();
    const pos = t.pos;
    if (t.kind === 'op') {
      if (t.text === '!' || t.text === '-' || t.text === '~') {
        this.next();
        return { k: 'un', op: t.text, e: this.parseUnary(), pos };
      }
      if (t.text === '(int)' || t.text === '(str)') {
        this.next();
        return { k: 'un', op: t.text === '(int)' ? 'int' : 'str', e: this.parseUnary(), pos };
      }
    }
    if (t.kind === 'id' && (t.text === 'not' || t.text === 'defined')) {
      this.next();
      return { k: 'un', op: t.text === 'not' ? '!' : 'defined', e: this.parseUnary(), pos };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    const pos = t.pos;
    switch (t.kind) {
      case 'num':
        this.next();
        return { k: 'num', v: t.value, pos };
      case 'str':
        this.next();
        return { k: 'str', v: t.text, pos };
      case 'pv':
        this.next();
        return { k: 'pv', text: t.text, pos };
      case 'op':
        if (t.text === '(') {
          this.next();
          const e = this.parseExpr();
          this.expectOp(')', 'to close the parenthesis');
          return e;
        }
        if (t.text === '@') return this.fail(pos, 'select expressions (@...) are not supported by dsd');
        return this.fail(pos, `expected an expression, found ${describe(t)}`);
      case 'eof':
        return this.fail(pos, 'expected an expression, found end of file');
      default:
        break;
    }
    // identifiers
    const name = t.text;
    if ((name === 'strlen' || name === 'strempty') && this.isOp('(', 1)) {
      this.i += 2;
      const e = this.parseExpr();
      this.expectOp(')', `to close ${name}(`);
      return { k: 'un', op: name, e, pos };
    }
    if (name === 'selval' && this.isOp('(', 1)) {
      this.i += 2;
      const c = this.parseExpr();
      this.expectOp(',', 'in selval()');
      const a = this.parseExpr();
      this.expectOp(',', 'in selval()');
      const b = this.parseExpr();
      this.expectOp(')', 'to close selval(');
      return { k: 'selval', c, a, b, pos };
    }
    if (name === 'myself') {
      this.next();
      const op = this.peek();
      if (
        !(op.kind === 'op' && (op.text === '==' || op.text === '!=')) &&
        !(op.kind === 'id' && (op.text === 'eq' || op.text === 'ne'))
      ) {
        return this.fail(op.pos, "invalid operator after 'myself': == or != expected");
      }
      this.next();
      const kwTok = this.next();
      const kw = kwTok.kind === 'id' ? KEYWORDS[kwTok.text] : undefined;
      if (!kw || !(kw === 'uri' || kw === 'from_uri' || kw === 'to_uri' || IP_KW.has(kw))) {
        return this.fail(kwTok.pos, "URI, SRCIP or DSTIP keyword expected after 'myself =='");
      }
      const bop: BinOp = op.text === '!=' || op.text === 'ne' ? '!=' : '==';
      return { k: 'kw', kw, op: bop, r: { k: 'myself' }, pos };
    }
    if (name === 'msg' && this.isOp(':', 1) && this.isId('len', 2) && !this.peek(1).space && !this.peek(2).space) {
      this.i += 3;
      return this.parseKeywordElem('msg:len', pos);
    }
    const kw = KEYWORDS[name];
    if (kw !== undefined && !this.isOp('(', 1)) {
      this.next();
      return this.parseKeywordElem(kw, pos);
    }
    if (this.isOp('(', 1)) {
      const call = this.parseCall();
      return { k: 'call', call, pos };
    }
    this.next();
    return { k: 'id', name, pos };
  }

  private parseKeywordElem(kw: Keyword, pos: SourcePos): Expr {
    const t = this.peek();
    const op = this.binOpAt(t);
    const strOps = new Set<BinOp>(['==', '!=', '=~', '!~', 'eq', 'ne']);
    const intOps = new Set<BinOp>(['==', '!=', '>', '<', '>=', '<=', 'eq', 'ne', 'ieq', 'ine']);
    const ok = op !== null && (STR_KW.has(kw) || IP_KW.has(kw) ? strOps.has(op) : intOps.has(op));
    if (!ok || op === null) {
      return this.fail(t.pos, `invalid operator after '${kw}' (found ${describe(t)})`);
    }
    this.next();
    const norm: BinOp = op === 'eq' || op === 'ieq' ? '==' : op === 'ne' || op === 'ine' ? '!=' : op;
    const r = this.peek();
    if (r.kind === 'id' && r.text === 'myself') {
      if (!(STR_KW.has(kw) && kw !== 'method' && kw !== 'status') && !IP_KW.has(kw)) {
        return this.fail(r.pos, `'myself' cannot be compared with '${kw}'`);
      }
      if (norm !== '==' && norm !== '!=') return this.fail(t.pos, "only == and != can be used with 'myself'");
      this.next();
      return { k: 'kw', kw, op: norm, r: { k: 'myself' }, pos };
    }
    if (IP_KW.has(kw) && (norm === '==' || norm === '!=')) {
      const save = this.i;
      const w = this.readWord(
        (x) => !(x.kind === 'num' || x.kind === 'id' || (x.kind === 'op' && ':./[]'.includes(x.text))),
      );
      if (isIpOrNet(w.text)) return { k: 'kw', kw, op: norm, r: { k: 'net', text: w.text }, pos };
      this.i = save;
    }
    if (
      (kw === 'proto' || kw === 'snd_proto' || kw === 'af' || kw === 'snd_af') &&
      r.kind === 'id' &&
      !this.isOp('(', 1)
    ) {
      this.next();
      return { k: 'kw', kw, op: norm, r: { k: 'str', v: r.text.toLowerCase(), pos: r.pos }, pos };
    }
    return { k: 'kw', kw, op: norm, r: this.parseExpr(PREC_CMP), pos };
  }
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** IPv4/IPv6 address, optionally with /bits or /netmask. */
function isIpOrNet(s: string): boolean {
  const [addr, mask, extra] = s.split('/');
  if (extra !== undefined || !addr) return false;
  const a = addr.startsWith('[') && addr.endsWith(']') ? addr.slice(1, -1) : addr;
  const v4 = V4.exec(a);
  const isV4 = v4 !== null && v4.slice(1).every((o) => Number(o) <= 255);
  const isV6 = !isV4 && a.includes(':') && /^[0-9a-fA-F:.]+$/.test(a);
  if (!isV4 && !isV6) return false;
  if (mask === undefined) return true;
  if (/^\d+$/.test(mask)) return Number(mask) <= (isV4 ? 32 : 128);
  return isV4 && V4.test(mask);
}
