/** Typed errors of the SIP message layer. */
export class SipParseError extends Error {
  /**
   * @param code the status a request with this defect should be answered with
   *   (400, 505, …), or 0 when nothing should be answered (the bytes are not SIP).
   */
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'SipParseError';
  }
}
