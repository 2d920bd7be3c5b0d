/** Typed errors of the SIP message layer. */
import { DsdError } from '../core/errors';
export class SipParseError extends DsdError<number> {
  /**
   * @param code the status a request with this defect should be answered with
   *   (400, 505, …), or 0 when nothing should be answered (the bytes are not SIP).
   */
  constructor(
    code: number,
    readonly reason: string,
  ) {
    super(code, reason);
  }
}
