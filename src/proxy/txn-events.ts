/**
 * What a module may watch on a proxy transaction, after tm's callbacks: created
 * (TMCB_REQUEST_IN), a reply sent upstream (TMCB_RESPONSE_OUT) and every branch failed,
 * before failure_route (TMCB_ON_FAILURE). Observers only look: they must not throw nor
 * change the transaction.
 */
import type { SipMessage } from '../sip/message';
import type { RequestTxn } from './context';

export interface TxnReplyEvent {
  readonly code: number;
  /** The relayed reply; null for a reply generated here (tm's FAKED_REPLY). */
  readonly reply: SipMessage | null;
  /** Index of the branch whose outcome this is (relayed or picked), -1 for none. */
  readonly branch: number;
}

export interface TxnObserver {
  created?(txn: RequestTxn): void;
  responseOut?(txn: RequestTxn, ev: TxnReplyEvent): void;
  failure?(txn: RequestTxn, ev: TxnReplyEvent): void;
}
