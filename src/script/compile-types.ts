/**
 * What an expression compiles to (compile-expr.ts), in a file of its own so that
 * compile-keyword.ts, which compile-expr.ts calls, can name it without importing back.
 */
import type { PvHandle } from './compile-env';
import type { RunState } from './run-state';
import type { Val } from './values';

type Ev<Ctx> = (ctx: Ctx, rs: RunState) => Val | Promise<Val>;

/** Static type, as Kamailio's rve_check_type(): 'none' = known only at run time. */
export type SType = 'int' | 'str' | 'none';

export interface CExpr<Ctx> {
  readonly ev: Ev<Ctx>;
  /** Static type; absent means 'none'. */
  readonly stype?: SType;
  /** May return a Promise (contains a function or route call). */
  readonly async: boolean;
  /** Known at load time. */
  readonly konst?: { readonly v: Val };
  /** The expression is exactly one pseudo-variable (for `defined` and $null tests). */
  readonly pv?: PvHandle<Ctx>;
  readonly isNull?: boolean;
}
