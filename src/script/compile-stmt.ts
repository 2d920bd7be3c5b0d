// Statements → closures returning the statement's code (Kamailio run_actions
// semantics): a block yields the code of its last statement, stops when a
// control flag is raised (exit/drop/return/break), and continues asynchronously
// only when a statement actually returned a Promise.
import type { Expr, Stmt, SwitchCase } from './ast';
import { CallCompilerImpl } from './compile-call';
import { CompileEnv, F_BREAK, F_DROP, F_EXIT, F_RETURN, type Getter, type St } from './compile-env';
import type { RunState } from './run-state';
import { asInt, plus } from './compile-expr';
import type { CExpr } from './compile-types';
import { CompileAbort } from './errors';
import { LogLevel } from './host';
import { compilePosixRegex } from './regex';
import { isThenable, toInt, toStr, type Val } from './values';

const CONTINUE: unique symbol = Symbol('continue');

const STOP = F_EXIT | F_RETURN | F_BREAK;

/** Run statements from index i; ret is the code of the previous statement. */
function runFrom<Ctx>(
  list: readonly St<Ctx>[],
  i: number,
  ctx: Ctx,
  rs: RunState,
  ret: number,
): number | Promise<number> {
  const n = list.length;
  for (; i < n; i++) {
    const r = list[i]!(ctx, rs);
    if (typeof r !== 'number') {
      const next = i + 1;
      return r.then((v) => (rs.flags & STOP ? v : runFrom(list, next, ctx, rs, v)));
    }
    ret = r;
    if (rs.flags & STOP) return ret;
  }
  return ret;
}

function block<Ctx>(list: readonly St<Ctx>[]): St<Ctx> {
  if (list.length === 0) return () => 1;
  const [only] = list;
  if (list.length === 1 && only) return only;
  return (ctx, rs) => runFrom(list, 0, ctx, rs, 1);
}

export class StmtCompiler<Ctx> {
  readonly calls: CallCompilerImpl<Ctx>;

  constructor(private readonly env: CompileEnv<Ctx>) {
    this.calls = new CallCompilerImpl(env);
  }

  /** Compile a list; statements with errors are reported and left out. */
  list(stmts: readonly Stmt[]): St<Ctx> {
    const out: St<Ctx>[] = [];
    for (const s of stmts) {
      try {
        out.push(this.stmt(s));
      } catch (e) {
        if (!(e instanceof CompileAbort)) throw e;
      }
    }
    return block(out);
  }

  private expr(e: Expr): CExpr<Ctx> {
    return this.calls.exprs.compile(e);
  }

  /** if/while conditions must be ints (or of run-time type), as rval_expr_int_check(). */
  private cond(e: Expr, what: 'if' | 'while'): CExpr<Ctx> {
    const c = this.expr(e);
    if (c.stype === 'str') return this.env.fail(e.pos, 'non-int expression (you might want to use casts)');
    if (c.konst) this.env.diag.warn(e.pos, `constant value in ${what}(...)`);
    return c;
  }

  stmt(s: Stmt): St<Ctx> {
    switch (s.k) {
      case 'call':
        return this.calls.callStmt(s.call);
      case 'block':
        return this.list(s.body);
      case 'if':
        return this.ifStmt(this.cond(s.cond, 'if'), this.list(s.then), s.else ? this.list(s.else) : null);
      case 'while':
        return this.whileStmt(this.cond(s.cond, 'while'), this.list(s.body), s.pos.line);
      case 'switch':
        return this.switchStmt(s.e, s.cases, s.pos);
      case 'return':
      case 'exit':
      case 'drop':
        return this.ret(s);
      case 'break':
        return (_ctx, rs) => {
          rs.flags |= F_BREAK;
          return 0;
        };
      case 'assign':
        return this.assign(s);
    }
  }

  private ifStmt(cond: CExpr<Ctx>, then: St<Ctx>, els: St<Ctx> | null): St<Ctx> {
    const c = asInt(cond);
    const after = (v: number, ctx: Ctx, rs: RunState): number | Promise<number> => {
      if (rs.flags & F_EXIT) return 0;
      rs.flags &= ~(F_RETURN | F_BREAK);
      if (v > 0) return then(ctx, rs);
      return els === null ? 1 : els(ctx, rs);
    };
    if (!cond.async) return (ctx, rs) => after(c(ctx, rs) as number, ctx, rs);
    return (ctx, rs) => {
      const v = c(ctx, rs);
      return typeof v === 'number' ? after(v, ctx, rs) : v.then((x) => after(x, ctx, rs));
    };
  }

  private whileStmt(cond: CExpr<Ctx>, body: St<Ctx>, line: number): St<Ctx> {
    const c = asInt(cond);
    const max = this.env.maxWhileLoops;
    const host = this.env.host;
    const STOP_LOOP = F_BREAK | F_RETURN | F_EXIT;
    interface LoopState {
      i: number;
      ret: number;
      acc: number;
    }
    // One iteration after the condition gave v: CONTINUE to go on synchronously.
    const afterCond = (
      ctx: Ctx,
      rs: RunState,
      st: LoopState,
      v: number,
    ): number | Promise<number> | typeof CONTINUE => {
      if (v === 0) return st.ret;
      if (max > 0 && ++st.i > max) {
        // Kamailio logs, makes the while statement fail (-1) and goes on with the next statement.
        host.log(LogLevel.ERR, `runaway while (line ${line}): more than ${max} loops`, ctx);
        return -1;
      }
      const r = body(ctx, rs);
      if (typeof r !== 'number') {
        return r.then((rv) => {
          st.ret = rv;
          st.acc |= rs.flags;
          rs.flags &= ~F_BREAK;
          return iterate(ctx, rs, st);
        });
      }
      st.ret = r;
      st.acc |= rs.flags;
      rs.flags &= ~F_BREAK;
      return CONTINUE;
    };
    // Kamailio keeps looping while the condition is non-zero (negative included).
    const iterate = (ctx: Ctx, rs: RunState, st: LoopState): number | Promise<number> => {
      for (;;) {
        if (st.acc & STOP_LOOP) return st.ret;
        const v = c(ctx, rs);
        if (typeof v !== 'number') {
          return v.then((x) => {
            const r = afterCond(ctx, rs, st, x);
            return r === CONTINUE ? iterate(ctx, rs, st) : r;
          });
        }
        const r = afterCond(ctx, rs, st, v);
        if (r !== CONTINUE) return r;
      }
    };
    return (ctx, rs) => iterate(ctx, rs, { i: 0, ret: 1, acc: 0 });
  }

  private switchStmt(e: Expr, cases: readonly SwitchCase[], pos: Stmt['pos']): St<Ctx> {
    const env = this.env;
    const subject = this.expr(e);
    if (subject.async) return env.fail(pos, 'function calls are not allowed in a switch expression');
    const get = subject.ev as Getter<Ctx, Val>;
    // Case bodies are laid out back to back so that a missing `break` falls through.
    const bodies: St<Ctx>[] = [];
    const entries: Array<{ test: ((v: Val) => boolean) | null; at: number }> = [];
    let defaults = 0;
    let kinds = 0; // 1 = int labels, 2 = string/regex labels
    for (const c of cases) {
      const at = bodies.length;
      for (const s of c.body) {
        try {
          bodies.push(this.stmt(s));
        } catch (err) {
          if (!(err instanceof CompileAbort)) throw err;
        }
      }
      if (c.match === null) {
        if (++defaults > 1) env.diag.error(c.pos, 'bad switch(): too many "default:" labels');
        entries.push({ test: null, at });
        continue;
      }
      let label: CExpr<Ctx>;
      try {
        label = this.expr(c.match);
      } catch (err) {
        if (err instanceof CompileAbort) continue;
        throw err;
      }
      if (!label.konst) {
        env.diag.error(c.pos, 'case label must be a constant');
        continue;
      }
      const lv = label.konst.v;
      if (c.regex) {
        kinds |= 2;
        let re: RegExp;
        try {
          re = compilePosixRegex(toStr(lv), false);
        } catch (err) {
          env.diag.error(c.pos, (err as Error).message);
          continue;
        }
        entries.push({ test: (v) => re.test(toStr(v)), at });
      } else if (typeof lv === 'number') {
        kinds |= 1;
        entries.push({ test: (v) => toInt(v) === lv, at });
      } else {
        kinds |= 2;
        const sv = toStr(lv);
        entries.push({ test: (v) => toStr(v) === sv, at });
      }
    }
    if (kinds === 3) env.diag.error(pos, 'bad switch(): mixed integer and string/RE cases not allowed');
    const run = (from: number, ctx: Ctx, rs: RunState): number | Promise<number> => {
      for (let i = from; i < bodies.length; i++) {
        const r = bodies[i]!(ctx, rs);
        if (typeof r !== 'number') {
          return r.then((v) => (rs.flags & (F_EXIT | F_RETURN | F_BREAK) ? finish(v, rs) : run2(i + 1, ctx, rs, v)));
        }
        if (rs.flags & (F_EXIT | F_RETURN | F_BREAK)) return finish(r, rs);
        if (i === bodies.length - 1) return r;
      }
      return 1;
    };
    const run2 = (from: number, ctx: Ctx, rs: RunState, last: number): number | Promise<number> =>
      from >= bodies.length ? last : run(from, ctx, rs);
    const finish = (v: number, rs: RunState): number => {
      rs.flags &= ~F_BREAK;
      return v;
    };
    const def = entries.find((x) => x.test === null);
    const tests = entries.filter((x) => x.test !== null);
    return (ctx, rs) => {
      const v = get(ctx, rs);
      for (const t of tests) {
        if ((t.test as (v: Val) => boolean)(v)) return t.at >= bodies.length ? 1 : run(t.at, ctx, rs);
      }
      if (def) return def.at >= bodies.length ? 1 : run(def.at, ctx, rs);
      return 1;
    };
  }

  private ret(s: Extract<Stmt, { k: 'return' | 'exit' | 'drop' }>): St<Ctx> {
    const flag = s.k === 'return' ? F_RETURN : s.k === 'exit' ? F_EXIT : F_EXIT | F_DROP;
    const dflt = s.k === 'drop' ? 0 : 1;
    const apply = (v: number, rs: RunState): number => {
      rs.flags |= flag;
      // `return 0` ends the whole script, as in Kamailio.
      if (v === 0 && flag === F_RETURN) rs.flags |= F_EXIT;
      return v;
    };
    if (s.e === null) return (_ctx, rs) => apply(dflt, rs);
    const c = this.expr(s.e);
    if (c.konst) {
      const v = toInt(c.konst.v);
      return (_ctx, rs) => apply(v, rs);
    }
    const g = asInt(c);
    return (ctx, rs) => {
      const v = g(ctx, rs);
      return typeof v === 'number' ? apply(v, rs) : v.then((x) => apply(x, rs));
    };
  }

  private assign(s: Extract<Stmt, { k: 'assign' }>): St<Ctx> {
    const env = this.env;
    const lhs = env.pv(s.lhs, s.lhsPos);
    const set = lhs.set;
    if (set === null) return env.fail(s.lhsPos, `${s.lhs} is read-only and cannot be assigned`);
    const rhs = this.expr(s.rhs);
    const read = lhs.read;
    const store =
      s.op === '+='
        ? (ctx: Ctx, rs: RunState, v: Val): number => {
            set(ctx, plus(read(ctx, rs), v));
            return 1;
          }
        : (ctx: Ctx, _rs: RunState, v: Val): number => {
            set(ctx, v);
            return 1;
          };
    const ev = rhs.ev;
    if (!rhs.async) return (ctx, rs) => store(ctx, rs, ev(ctx, rs) as Val);
    // As lval_assign(): the value is stored even when evaluating it stopped the script.
    return (ctx, rs) => {
      const v = ev(ctx, rs);
      return isThenable(v) ? (v as Promise<Val>).then((x) => store(ctx, rs, x)) : store(ctx, rs, v as Val);
    };
  }
}
