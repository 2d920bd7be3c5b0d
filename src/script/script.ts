// The compiled routing script: one closure per route block, and the API the SIP
// core calls per message. Results come back synchronously unless a function in
// the path returned a Promise.
import { F_DROP, F_EXIT, type RouteHolder, type St } from './compile-env';
import type { RunState } from './run-state';

type RunAction = 'exit' | 'drop' | 'return';

export interface RunResult {
  /**
   * drop: `drop` was executed (request route: discard silently; reply route: do not relay the reply).
   * exit: `exit`, `return 0`, or a function returned 0.
   * return: `return [n]` at the top level, or the block ran to its end.
   */
  readonly action: RunAction;
  /** The route's return code (Kamailio's run_actions result). */
  readonly code: number;
}

export type RouteRunner<Ctx> = (ctx: Ctx) => RunResult | Promise<RunResult>;

export interface RouteTables<Ctx> {
  readonly request: RouteHolder<Ctx> | null;
  readonly named: ReadonlyMap<string, RouteHolder<Ctx>>;
  readonly failure: ReadonlyMap<string, RouteHolder<Ctx>>;
  readonly onreply: ReadonlyMap<string, RouteHolder<Ctx>>;
  readonly onreplyCore: RouteHolder<Ctx> | null;
  readonly branch: ReadonlyMap<string, RouteHolder<Ctx>>;
  readonly event: ReadonlyMap<string, RouteHolder<Ctx>>;
}

function result(rs: RunState, code: number): RunResult {
  const action: RunAction = rs.flags & F_DROP ? 'drop' : rs.flags & F_EXIT ? 'exit' : 'return';
  return { action, code };
}

function runTop<Ctx>(fn: St<Ctx>, ctx: Ctx): RunResult | Promise<RunResult> {
  const rs: RunState = { flags: 0, lastRet: 0, depth: 0 };
  const r = fn(ctx, rs);
  if (typeof r === 'number') return result(rs, r);
  return r.then((v) => result(rs, v));
}

const EMPTY: RunResult = { action: 'return', code: 1 };

export class Script<Ctx> {
  /** Route lookups as callables; undefined when the block does not exist. */
  readonly routes: {
    readonly request: RouteRunner<Ctx> | undefined;
    named(name: string): RouteRunner<Ctx> | undefined;
    failure(name: string): RouteRunner<Ctx> | undefined;
    onreply(name: string | null): RouteRunner<Ctx> | undefined;
    branch(name: string): RouteRunner<Ctx> | undefined;
    event(name: string): RouteRunner<Ctx> | undefined;
  };

  constructor(private readonly t: RouteTables<Ctx>) {
    const runner = (h: RouteHolder<Ctx> | null | undefined): RouteRunner<Ctx> | undefined => {
      if (!h || !h.fn) return undefined;
      const fn = h.fn;
      return (ctx) => runTop(fn, ctx);
    };
    this.routes = {
      request: runner(t.request),
      named: (n) => runner(t.named.get(n)),
      failure: (n) => runner(t.failure.get(n)),
      onreply: (n) => runner(n === null ? t.onreplyCore : t.onreply.get(n)),
      branch: (n) => runner(t.branch.get(n)),
      event: (n) => runner(t.event.get(n)),
    };
  }

  private run(h: RouteHolder<Ctx> | null | undefined, ctx: Ctx): RunResult | Promise<RunResult> {
    if (!h || !h.fn) return EMPTY;
    return runTop(h.fn, ctx);
  }

  /** request_route; a config without one runs nothing (result: return 1). */
  runRequestRoute(ctx: Ctx): RunResult | Promise<RunResult> {
    return this.run(this.t.request, ctx);
  }

  /** failure_route[name], as armed by t_on_failure(). */
  runFailureRoute(name: string, ctx: Ctx): RunResult | Promise<RunResult> {
    return this.run(this.t.failure.get(name), ctx);
  }

  /** onreply_route[name] (tm, armed by t_on_reply) or, with null, the core onreply_route/reply_route. */
  runOnReplyRoute(name: string | null, ctx: Ctx): RunResult | Promise<RunResult> {
    return this.run(name === null ? this.t.onreplyCore : this.t.onreply.get(name), ctx);
  }

  /** branch_route[name], as armed by t_on_branch(). */
  runBranchRoute(name: string, ctx: Ctx): RunResult | Promise<RunResult> {
    return this.run(this.t.branch.get(name), ctx);
  }

  /** event_route[name], e.g. "dispatcher:dst-down". */
  runEventRoute(name: string, ctx: Ctx): RunResult | Promise<RunResult> {
    return this.run(this.t.event.get(name), ctx);
  }

  /** route[name] called directly (tests, KEMI-like use). */
  runRoute(name: string, ctx: Ctx): RunResult | Promise<RunResult> {
    return this.run(this.t.named.get(name), ctx);
  }

  hasRequestRoute(): boolean {
    return this.t.request !== null;
  }
  hasFailureRoute(name: string): boolean {
    return this.t.failure.has(name);
  }
  hasOnReplyRoute(name: string | null): boolean {
    return name === null ? this.t.onreplyCore !== null : this.t.onreply.has(name);
  }
  hasBranchRoute(name: string): boolean {
    return this.t.branch.has(name);
  }
  hasEventRoute(name: string): boolean {
    return this.t.event.has(name);
  }
  eventRouteNames(): string[] {
    return [...this.t.event.keys()];
  }
}
