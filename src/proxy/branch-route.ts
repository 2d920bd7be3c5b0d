/**
 * branch_route (t_on_branch): run once per branch just before it is built, with the
 * request's R-URI, $du and lumps set to the branch's own (tm's per-branch message copy),
 * so what the route changes goes to that branch only; `drop` there cancels the branch.
 */
import type { EditList } from '../sip/editor';
import { RequestContext, RouteType } from './context';
import type { RouteHooks } from './hooks';

export interface Hop {
  readonly ruri: string;
  readonly du: string | null;
  /** The branch's lumps; null: the request's. */
  readonly edits: EditList | null;
}

/** The hops that survive their branch_route, each with what the route made of it. */
export function runBranchRoutes(ctx: RequestContext, hops: readonly Hop[], hooks: RouteHooks): Hop[] | Promise<Hop[]> {
  const name = ctx.branchRoute;
  if (name === null || !hooks.branch) return hops.slice();
  const branch = hooks.branch;
  const out: Hop[] = [];
  const saved = { ruri: ctx.ruri, du: ctx.du, edits: ctx.edits, routeType: ctx.routeType };
  const restore = (): void => {
    ctx.ruri = saved.ruri;
    ctx.du = saved.du;
    ctx.edits = saved.edits;
    ctx.routeType = saved.routeType;
  };
  const step = (i: number): Hop[] | Promise<Hop[]> => {
    for (; i < hops.length; i++) {
      const h = hops[i]!;
      ctx.ruri = h.ruri;
      ctx.du = h.du;
      ctx.edits = saved.edits.clone();
      ctx.routeType = RouteType.BRANCH;
      let r: boolean | Promise<boolean>;
      try {
        r = branch(name, ctx);
      } catch {
        r = true;
      }
      if (typeof r !== 'boolean') {
        const at = i;
        return r.then(
          (keep) => {
            take(keep);
            return step(at + 1);
          },
          () => {
            take(true);
            return step(at + 1);
          },
        );
      }
      take(r);
    }
    restore();
    return out;
  };
  const take = (keep: boolean): void => {
    if (keep) out.push({ ruri: ctx.ruri, du: ctx.du, edits: ctx.edits });
  };
  try {
    return step(0);
  } catch (e) {
    restore();
    throw e;
  }
}
