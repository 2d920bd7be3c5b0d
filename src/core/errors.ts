/**
 * The base of dsd's own errors: a stable `code` (`DSD_ERR_*`, as undici's `UND_ERR_*` and
 * ws's `WS_ERR_*`) that callers and tests match on instead of the message text.
 */
export class DsdError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
