/**
 * The base of dsd's own errors: a stable `code` callers and tests match on instead of the
 * message text — `DSD_ERR_*` strings (as undici's `UND_ERR_*` and ws's `WS_ERR_*`), or,
 * for RPC faults, the fault number the protocol carries (Kamailio's 500, 404, …).
 */
export class DsdError<C extends string | number = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
