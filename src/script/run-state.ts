/**
 * The state of one script run that every compiled statement, expression and function
 * sees (Kamailio's run_flags, $rc, route() nesting). Its own file so that the function
 * registry (registry.ts) can name it without importing the compiler.
 */
export interface RunState {
  flags: number;
  /** $rc / $retcode */
  lastRet: number;
  /** route() nesting */
  depth: number;
}
