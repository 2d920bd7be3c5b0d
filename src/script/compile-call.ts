// Function calls: name resolution against the registry, module and route-type
// checks, argument count per overload, Kamailio-style fixups by parameter kind,
// and a closure specialised for the argument count. Also route(), setflag() & co.
import type { Call, Expr } from './ast';
import { CompileEnv, F_BREAK, F_EXIT, F_RETURN, type Getter, type RouteHolder, type St } from './compile-env';
import type { RunState } from './run-state';
import { type CallCompiler, ExprCompiler } from './compile-expr';
import type { CExpr } from './compile-types';
import { CompileAbort } from './errors';
import { LogLevel } from './host';
import { compileArg, type CompiledArg } from './compile-args';
import { FixupError, type BuiltArg, type ExecResult, type FunctionDef } from './registry';
import { routeAllows, routeTypeName } from './route-types';
import { isThenable, toStr, type Val } from './values';

/** Normalise a function result: record $rc, stop the script on 0 (Kamailio MODF_HANDLE_RETCODE). */
function settle(r: unknown, rs: RunState): number | Promise<number> {
  if (typeof r === 'number') {
    rs.lastRet = r;
    if (r === 0) rs.flags |= F_EXIT;
    return r;
  }
  if (isThenable(r)) return (r as Promise<unknown>).then((v) => settle(v, rs));
  const n = r === true ? 1 : r === false || r === undefined || r === null ? -1 : Number(r) || -1;
  return settle(n, rs);
}

const toBool = (n: number): number => (n > 0 ? 1 : 0);

function asExpr<Ctx>(st: St<Ctx>): CExpr<Ctx> {
  return {
    ev: (ctx, rs) => {
      const r = st(ctx, rs);
      return typeof r === 'number' ? toBool(r) : r.then(toBool);
    },
    async: true,
  };
}

export class CallCompilerImpl<Ctx> implements CallCompiler<Ctx> {
  readonly exprs: ExprCompiler<Ctx>;

  constructor(private readonly env: CompileEnv<Ctx>) {
    this.exprs = new ExprCompiler(env, this);
  }

  callExpr(e: Extract<Expr, { k: 'call' }>): CExpr<Ctx> {
    return asExpr(this.callStmt(e.call));
  }

  callStmt(call: Call): St<Ctx> {
    switch (call.name) {
      case 'route':
        return this.route(call);
      case 'setflag':
      case 'resetflag':
      case 'isflagset':
        return this.flagOp(call);
      default:
        return this.func(call);
    }
  }

  private route(call: Call): St<Ctx> {
    const env = this.env;
    const a = call.args[0];
    if (call.args.length !== 1 || a === undefined)
      return env.fail(call.pos, `route() takes 1 argument (a route name), ${call.args.length} given`);
    const maxDepth = env.maxRecursiveLevel;
    const host = env.host;
    const enter = (holder: RouteHolder<Ctx>, ctx: Ctx, rs: RunState): number | Promise<number> => {
      if (rs.depth >= maxDepth) {
        // as Kamailio: the route() call fails with -1 and the caller goes on
        host.log(LogLevel.ERR, `too many recursive routing table lookups (${rs.depth}) giving up!`, ctx);
        return -1;
      }
      rs.depth++;
      const fn = holder.fn;
      const r = fn === null ? 1 : fn(ctx, rs);
      if (typeof r === 'number') return leave(r, rs);
      return r.then((v) => leave(v, rs));
    };
    const leave = (v: number, rs: RunState): number => {
      rs.depth--;
      rs.lastRet = v;
      rs.flags &= ~(F_RETURN | F_BREAK);
      return v;
    };
    if (a.k === 'id' || a.k === 'str' || a.k === 'num') {
      const name = a.k === 'num' ? String(a.v) : a.k === 'id' ? a.name : a.v;
      const holder = name === '0' ? env.routes.request : env.routes.named.get(name);
      if (!holder) return env.fail(a.pos, `route(${name}): route[${name}] is not defined`);
      return (ctx, rs) => enter(holder, ctx, rs);
    }
    const c = this.exprs.compile(a);
    if (c.async) return env.fail(a.pos, 'function calls are not allowed inside route()');
    const g = c.ev as Getter<Ctx, Val>;
    const named = env.routes.named;
    const file = call.pos.file;
    const line = call.pos.line;
    return (ctx, rs) => {
      const name = toStr(g(ctx, rs));
      const holder = named.get(name);
      if (!holder) {
        host.log(LogLevel.ERR, `route "${name}" not found at ${file}:${line}`, ctx);
        return -1;
      }
      return enter(holder, ctx, rs);
    };
  }

  private flagOp(call: Call): St<Ctx> {
    const env = this.env;
    const only = call.args[0];
    if (call.args.length !== 1 || only === undefined)
      return env.fail(call.pos, `function '${call.name}' takes 1 argument, ${call.args.length} given`);
    const arg = compileArg(env, this.exprs, 'flag', only, call.name);
    const bit = arg.value as number;
    const mask = (1 << bit) >>> 0;
    const host = env.host;
    if (call.name === 'setflag') {
      return (ctx) => {
        host.setFlags(ctx, (host.getFlags(ctx) | mask) >>> 0);
        return 1;
      };
    }
    if (call.name === 'resetflag') {
      return (ctx) => {
        host.setFlags(ctx, (host.getFlags(ctx) & ~mask) >>> 0);
        return 1;
      };
    }
    return (ctx) => ((host.getFlags(ctx) & mask) !== 0 ? 1 : -1);
  }

  private func(call: Call): St<Ctx> {
    const env = this.env;
    const f = env.registry.func(call.name);
    if (!f) {
      const noop = [...env.modules.values()].filter((m) => !m.implemented).map((m) => m.name);
      const hint =
        noop.length > 0
          ? `missing loadmodule, or provided by a module dsd does not implement (${noop.join(', ')})?`
          : 'missing loadmodule?';
      return env.fail(call.pos, `unknown function '${call.name}' (${hint})`);
    }
    if (f.module !== null && !env.isLoaded(f.module)) {
      return env.fail(call.pos, `function '${call.name}' needs loadmodule "${f.module}.so"`);
    }
    const variant = f.variants.find((v) => v.length === call.args.length);
    if (!variant) {
      const counts = [...new Set(f.variants.map((v) => v.length))].sort((x, y) => x - y);
      const want =
        counts.length === 1 ? `${counts[0]}` : `${counts.slice(0, -1).join(', ')} or ${counts[counts.length - 1]}`;
      return env.fail(
        call.pos,
        `function '${call.name}' takes ${want} argument${want === '1' ? '' : 's'}, ${call.args.length} given`,
      );
    }
    if (!routeAllows(f.routes, env.blockType)) {
      return env.fail(
        call.pos,
        `function '${call.name}' cannot be used in ${env.blockName} (allowed: ${allowedNames(f.routes)})`,
      );
    }
    const args: CompiledArg<Ctx>[] = [];
    let bad = false;
    variant.forEach((kind, i) => {
      try {
        // the variant was picked for call.args.length, so every i has an argument
        args.push(compileArg(env, this.exprs, kind, call.args[i]!, call.name));
      } catch (e) {
        if (!(e instanceof CompileAbort)) throw e;
        bad = true;
      }
    });
    if (bad) throw new CompileAbort();
    const def = f.def;
    if (def === null) {
      if (env.options.stubs === 'accept') {
        env.diag.warnOnce(
          `stub:${call.name}`,
          call.pos,
          `function '${call.name}' is not implemented by dsd yet; it will do nothing and return 1`,
        );
        return () => 1;
      }
      return env.fail(
        call.pos,
        `function '${call.name}'${f.module ? ` (module ${f.module})` : ''} is not implemented by dsd`,
      );
    }
    this.fixup(def, args, call);
    return this.build(def, args, call);
  }

  private fixup(def: FunctionDef<Ctx>, args: CompiledArg<Ctx>[], call: Call): void {
    if (!def.fixup) return;
    try {
      const repl = def.fixup(
        args.map((a) => ({ kind: a.kind, isStatic: a.isStatic, value: a.value, pos: a.pos })),
        call.pos,
      );
      if (repl) {
        repl.forEach((v, i) => {
          if (v !== undefined && args[i] && args[i].isStatic) {
            const val = v;
            args[i] = { ...args[i], value: val, get: () => val };
          }
        });
      }
    } catch (e) {
      if (e instanceof CompileAbort) throw e;
      const idx = e instanceof FixupError ? e.argIndex : null;
      const pos = idx !== null && args[idx] ? args[idx].pos : call.pos;
      this.env.fail(pos, `${call.name}(): ${(e as Error).message}`);
    }
  }

  private build(def: FunctionDef<Ctx>, args: CompiledArg<Ctx>[], call: Call): St<Ctx> {
    if (def.build) {
      const built: BuiltArg<Ctx>[] = args.map((a) => ({
        kind: a.kind,
        isStatic: a.isStatic,
        value: a.value,
        get: a.get,
      }));
      const fn = def.build(built, { host: this.env.host, pos: call.pos });
      return (ctx, rs) => settle(fn(ctx, rs), rs);
    }
    const exec = def.exec as (ctx: Ctx, ...a: unknown[]) => ExecResult;
    const n = args.length;
    const allStatic = args.every((a) => a.isStatic);
    if (allStatic) {
      const v = args.map((a) => a.value);
      switch (n) {
        case 0:
          return (ctx, rs) => settle(exec(ctx), rs);
        case 1: {
          const [a0] = v;
          return (ctx, rs) => settle(exec(ctx, a0), rs);
        }
        case 2: {
          const [a0, a1] = v;
          return (ctx, rs) => settle(exec(ctx, a0, a1), rs);
        }
        case 3: {
          const [a0, a1, a2] = v;
          return (ctx, rs) => settle(exec(ctx, a0, a1, a2), rs);
        }
        default:
          return (ctx, rs) => settle(exec(ctx, ...v), rs);
      }
    }
    const g = args.map((a) => a.get);
    const [g0, g1, g2] = g;
    if (n === 1 && g0) return (ctx, rs) => settle(exec(ctx, g0(ctx, rs)), rs);
    if (n === 2 && g0 && g1) return (ctx, rs) => settle(exec(ctx, g0(ctx, rs), g1(ctx, rs)), rs);
    if (n === 3 && g0 && g1 && g2) return (ctx, rs) => settle(exec(ctx, g0(ctx, rs), g1(ctx, rs), g2(ctx, rs)), rs);
    return (ctx, rs) => settle(exec(ctx, ...g.map((x) => x(ctx, rs))), rs);
  }
}

function allowedNames(mask: number): string {
  const names: string[] = [];
  const all: Array<[number, string]> = [
    [1, 'request_route/route'],
    [2, 'failure_route'],
    [4, 'onreply_route[name]'],
    [128, 'onreply_route'],
    [8, 'branch_route'],
    [512, 'event_route'],
  ];
  for (const [bit, n] of all) if ((mask & bit) !== 0) names.push(n);
  return names.join(', ') || routeTypeName(mask);
}
