// Expressions → closures, with Kamailio's rvalue typing: `+` adds when the left
// operand is an int and concatenates otherwise; == and != compare as the left
// operand's type; comparisons and arithmetic are 32-bit ints; a function call
// yields 1 if it returned >0 and 0 otherwise (and a return of 0 stops the script).
// Pure sub-expressions never touch Promises; only call-bearing ones check for them.
import type { BinOp, Expr } from './ast';
import type { CompileEnv } from './compile-env';
import type { RunState } from './run-state';
import { compilePosixRegex, RegexCache, RegexError } from './regex';
import { isThenable, toInt, toStr, type Val } from './values';
import { compileKeyword } from './compile-keyword';
import type { CExpr, SType } from './compile-types';

/** Hook set by compile-call to compile calls inside expressions (avoids an import cycle). */
export interface CallCompiler<Ctx> {
  callExpr(e: Extract<Expr, { k: 'call' }>, env: CompileEnv<Ctx>): CExpr<Ctx>;
}

function konst<Ctx>(v: Val): CExpr<Ctx> {
  return {
    ev: () => v,
    async: false,
    konst: { v },
    stype: typeof v === 'number' ? 'int' : typeof v === 'string' ? 'str' : 'none',
  };
}

function withType<Ctx>(c: CExpr<Ctx>, stype: SType): CExpr<Ctx> {
  return c.stype === stype ? c : { ...c, stype };
}

const INT_ONLY = new Set<BinOp>([
  '-',
  '*',
  '/',
  '%',
  '|',
  '&',
  '^',
  '<<',
  '>>',
  '&&',
  '||',
  '>',
  '<',
  '>=',
  '<=',
  'ieq',
  'ine',
]);

function lift1<Ctx>(a: CExpr<Ctx>, f: (v: Val) => Val): CExpr<Ctx> {
  if (a.konst) return konst(f(a.konst.v));
  const ev = a.ev;
  if (!a.async) return { ev: (c, r) => f(ev(c, r) as Val), async: false };
  return {
    ev: (c, r) => {
      const v = ev(c, r);
      return isThenable(v) ? (v as Promise<Val>).then(f) : f(v as Val);
    },
    async: true,
  };
}

function lift2<Ctx>(a: CExpr<Ctx>, b: CExpr<Ctx>, f: (x: Val, y: Val) => Val): CExpr<Ctx> {
  if (a.konst && b.konst) return konst(f(a.konst.v, b.konst.v));
  const ea = a.ev;
  const eb = b.ev;
  if (!a.async && !b.async) {
    if (b.konst) {
      const y = b.konst.v;
      return { ev: (c, r) => f(ea(c, r) as Val, y), async: false };
    }
    return { ev: (c, r) => f(ea(c, r) as Val, eb(c, r) as Val), async: false };
  }
  const second = (c: unknown, r: RunState, x: Val): Val | Promise<Val> => {
    const y = eb(c as never, r);
    return isThenable(y) ? (y as Promise<Val>).then((yy) => f(x, yy)) : f(x, y as Val);
  };
  return {
    ev: (c, r) => {
      const x = ea(c, r);
      return isThenable(x) ? (x as Promise<Val>).then((xx) => second(c, r, xx)) : second(c, r, x as Val);
    },
    async: true,
  };
}

const b = (x: boolean): number => (x ? 1 : 0);

function eqVal(x: Val, y: Val): boolean {
  if (typeof x === 'number') return x === toInt(y);
  if (x === null) return typeof y === 'number' ? y === 0 : toStr(y) === '';
  return x === toStr(y);
}

export function plus(x: Val, y: Val): Val {
  return typeof x === 'number' ? (x + toInt(y)) | 0 : toStr(x) + toStr(y);
}

const INT_OPS: Partial<Record<BinOp, (x: number, y: number) => number>> = {
  '-': (x, y) => (x - y) | 0,
  '*': (x, y) => Math.imul(x, y),
  '/': (x, y) => (y === 0 ? 0 : (x / y) | 0),
  '%': (x, y) => (y === 0 ? 0 : x % y),
  '|': (x, y) => x | y,
  '&': (x, y) => x & y,
  '^': (x, y) => x ^ y,
  '<<': (x, y) => x << y,
  '>>': (x, y) => x >> y,
  '>': (x, y) => b(x > y),
  '<': (x, y) => b(x < y),
  '>=': (x, y) => b(x >= y),
  '<=': (x, y) => b(x <= y),
  ieq: (x, y) => b(x === y),
  ine: (x, y) => b(x !== y),
};

export class ExprCompiler<Ctx> {
  constructor(
    private readonly env: CompileEnv<Ctx>,
    private readonly calls: CallCompiler<Ctx>,
  ) {}

  compile(e: Expr): CExpr<Ctx> {
    switch (e.k) {
      case 'num':
        return konst(e.v);
      case 'str':
        return konst(e.v);
      case 'pv': {
        const h = this.env.pv(e.text, e.pos);
        if (h.isNull) return { ...konst<Ctx>(null), isNull: true };
        const read = h.read;
        return { ev: read, async: false, pv: h, stype: 'none' };
      }
      case 'id':
        return this.env.fail(
          e.pos,
          `unexpected identifier '${e.name}' in expression (undefined #!define or missing quotes?)`,
        );
      case 'call':
        return withType(this.calls.callExpr(e, this.env), 'int');
      case 'un': {
        const a = this.compile(e.e);
        this.checkUnary(e.op, a, e.e);
        return withType(this.unary(e.op, a), e.op === 'str' ? 'str' : 'int');
      }
      case 'bin':
        return this.binary(e.op, e.l, e.r);
      case 'selval': {
        const c = this.compile(e.c);
        const x = this.compile(e.a);
        const y = this.compile(e.b);
        if (c.async || x.async || y.async)
          return this.env.fail(e.pos, 'function calls are not allowed inside selval()');
        const ec = c.ev;
        const ex = x.ev;
        const ey = y.ev;
        return { ev: (ctx, rs) => (toInt(ec(ctx, rs) as Val) !== 0 ? ex(ctx, rs) : ey(ctx, rs)), async: false };
      }
      case 'kw':
        return withType(
          compileKeyword(e, this.env, (x) => this.compile(x)),
          'int',
        );
    }
  }

  private unary(op: string, a: CExpr<Ctx>): CExpr<Ctx> {
    switch (op) {
      case '!':
        return lift1(a, (v) => b(toInt(v) === 0));
      case '-':
        return lift1(a, (v) => -toInt(v) | 0);
      case '~':
        return lift1(a, (v) => ~toInt(v));
      case 'int':
        return lift1(a, (v) => toInt(v));
      case 'str':
        return lift1(a, (v) => toStr(v));
      case 'strlen':
        return lift1(a, (v) => toStr(v).length);
      case 'strempty':
        return lift1(a, (v) => b(toStr(v).length === 0));
      case 'defined': {
        if (!a.pv) return a.isNull ? konst(0) : konst(1);
        const read = a.pv.read;
        return { ev: (c, r) => b(read(c, r) !== null), async: false };
      }
      default:
        throw new Error(`unknown unary operator ${op}`);
    }
  }

  private mismatch(pos: Expr['pos'], got: SType, want: SType): never {
    return this.env.fail(pos, `bad expression: type mismatch: ${got} instead of ${want}`);
  }

  private checkUnary(op: string, a: CExpr<Ctx>, ae: Expr): void {
    const t = a.stype ?? 'none';
    if ((op === '!' || op === '-' || op === '~') && t === 'str') this.mismatch(ae.pos, 'str', 'int');
    if ((op === 'strlen' || op === 'strempty' || op === 'defined') && t === 'int') this.mismatch(ae.pos, 'int', 'str');
  }

  /** Kamailio rejects constant operands of the wrong type at load time. */
  private checkBinary(op: BinOp, l: CExpr<Ctx>, r: CExpr<Ctx>, le: Expr, re: Expr): SType {
    const t1 = l.stype ?? 'none';
    const t2 = r.stype ?? 'none';
    if (INT_ONLY.has(op)) {
      if (t1 === 'str') this.mismatch(le.pos, 'str', 'int');
      if (t2 === 'str') this.mismatch(re.pos, 'str', 'int');
      return 'int';
    }
    if (t1 !== t2 && t1 !== 'none' && t2 !== 'none' && !(t1 === 'str' && t2 === 'int')) this.mismatch(re.pos, t2, t1);
    if (op === '+') return t1;
    if ((op === 'eq' || op === 'ne' || op === '=~' || op === '!~') && t1 === 'int') this.mismatch(le.pos, 'int', 'str');
    return 'int';
  }

  private binary(op: BinOp, le: Expr, re: Expr): CExpr<Ctx> {
    const l = this.compile(le);
    const r = this.compile(re);
    const stype = r.isNull ? 'int' : this.checkBinary(op, l, r, le, re);
    return withType(this.binaryOp(op, l, r, re), stype);
  }

  private binaryOp(op: BinOp, l: CExpr<Ctx>, r: CExpr<Ctx>, re: Expr): CExpr<Ctx> {
    if ((op === '==' || op === '!=' || op === 'eq' || op === 'ne' || op === 'ieq' || op === 'ine') && r.isNull) {
      // Kamailio turns comparisons with $null into (not)defined tests.
      const wantDefined = op === '!=' || op === 'ne' || op === 'ine';
      if (!l.pv) return konst(b(wantDefined !== !!l.isNull));
      const read = l.pv.read;
      return { ev: (c, rs) => b((read(c, rs) !== null) === wantDefined), async: false };
    }
    switch (op) {
      case '&&':
        return this.logical(l, r, true);
      case '||':
        return this.logical(l, r, false);
      case '==':
        return lift2(l, r, (x, y) => b(eqVal(x, y)));
      case '!=':
        return lift2(l, r, (x, y) => b(!eqVal(x, y)));
      case 'eq':
        return lift2(l, r, (x, y) => b(toStr(x) === toStr(y)));
      case 'ne':
        return lift2(l, r, (x, y) => b(toStr(x) !== toStr(y)));
      case '+':
        return lift2(l, r, plus);
      case '=~':
      case '!~':
        return this.match(l, r, op === '!~', re);
      default: {
        const f = INT_OPS[op];
        if (!f) throw new Error(`unknown operator ${op}`);
        return lift2(l, r, (x, y) => f(toInt(x), toInt(y)));
      }
    }
  }

  private logical(l: CExpr<Ctx>, r: CExpr<Ctx>, isAnd: boolean): CExpr<Ctx> {
    const el = l.ev;
    const er = r.ev;
    const decide = (x: Val): boolean => (isAnd ? toInt(x) === 0 : toInt(x) !== 0);
    if (!l.async && !r.async) {
      return {
        ev: (c, rs) => {
          if (decide(el(c, rs) as Val)) return isAnd ? 0 : 1;
          return b(toInt(er(c, rs) as Val) !== 0);
        },
        async: false,
      };
    }
    const right = (c: Ctx, rs: RunState): Val | Promise<Val> => {
      const y = er(c, rs);
      return isThenable(y) ? (y as Promise<Val>).then((yy) => b(toInt(yy) !== 0)) : b(toInt(y as Val) !== 0);
    };
    return {
      ev: (c, rs) => {
        const x = el(c, rs);
        if (isThenable(x)) return (x as Promise<Val>).then((xx) => (decide(xx) ? (isAnd ? 0 : 1) : right(c, rs)));
        return decide(x as Val) ? (isAnd ? 0 : 1) : right(c, rs);
      },
      async: true,
    };
  }

  private match(l: CExpr<Ctx>, r: CExpr<Ctx>, negate: boolean, rexpr: Expr): CExpr<Ctx> {
    if (r.konst) {
      let re: RegExp;
      try {
        re = compilePosixRegex(toStr(r.konst.v));
      } catch (err) {
        if (err instanceof RegexError) return this.env.fail(rexpr.pos, err.message);
        throw err;
      }
      return lift1(l, (x) => b(re.test(toStr(x)) !== negate));
    }
    const cache = new RegexCache();
    return lift2(l, r, (x, y) => {
      const re = cache.get(toStr(y));
      return re === null ? b(negate) : b(re.test(toStr(x)) !== negate);
    });
  }
}

/** Evaluate a compiled expression as a condition value (int), Promise-aware. */
export function asInt<Ctx>(c: CExpr<Ctx>): (ctx: Ctx, rs: RunState) => number | Promise<number> {
  const ev = c.ev;
  if (!c.async) return (ctx, rs) => toInt(ev(ctx, rs) as Val);
  return (ctx, rs) => {
    const v = ev(ctx, rs);
    return isThenable(v) ? (v as Promise<Val>).then(toInt) : toInt(v as Val);
  };
}
