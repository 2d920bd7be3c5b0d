/**
 * Client transactions (RFC 3261 §17.1): one per branch we send. Retransmits over UDP
 * (timers A/E, capped at T2), times out with tm's fr_timer / fr_inv_timer (a local 408
 * for the owner), ACKs non-2xx finals hop by hop and absorbs their retransmissions.
 */
import type { SipMessage } from '../sip/message';
import type { Target } from '../transport/types';
import type { TxnHost } from './host';
import { TxnTimer, type TimerTarget } from './timer';
import { clientKey } from './keys';
import { buildAck, buildCancel } from './local-request';
import type { LingerTable } from './linger';
import type { ChurnTable } from '../core/churn-table';

const enum T {
  RETR = 1,
  FR = 2,
  WAIT = 3,
}

export const enum ClientState {
  Calling = 1,
  Proceeding = 2,
  Completed = 3,
  Terminated = 4,
}

export interface ClientOwner {
  /** A reply for the branch (msg), or its timeout (msg === null). */
  onBranchReply(ct: ClientTxn, msg: SipMessage | null): void;
}

/** Owner of a branch whose proxy transaction finished, and of our CANCELs: nothing to tell. */
const EMPTY = Buffer.alloc(0);

const NO_OWNER: ClientOwner = {
  onBranchReply(): void {
    /* the transaction already answered upstream; 200/481 to a CANCEL */
  },
};

export class ClientTxn implements TimerTarget {
  state = ClientState.Calling;
  /** Highest status seen (0 = nothing yet). */
  lastStatus = 0;
  /** Any reply received, provisional included (`t_branch_replied`). */
  replied = false;
  /** Ended by fr_timer/fr_inv_timer (`t_branch_timeout`). */
  timedOut = false;
  /** A final reply for this branch (real, or null with a local status). */
  finalReply: SipMessage | null = null;
  /** Timers A/E (retransmissions over UDP); made at the first arm. */
  private retr: TxnTimer | null = null;
  /** fr_timer / fr_inv_timer, then the linger (wt_timer): never both at once. */
  private readonly end: TxnTimer;
  private interval: number;
  private ack: Buffer | null = null;
  readonly key: string;

  constructor(
    readonly layer: TxnHost & { readonly clients: ChurnTable<ClientTxn>; readonly linger: LingerTable },
    readonly branch: string,
    readonly method: string,
    /** The request as sent; let go (empty) once a non-INVITE is answered. */
    public buf: Buffer,
    readonly target: Target,
    /** Replaced by a lightweight owner once the proxy transaction is done (see detach). */
    public owner: ClientOwner,
    /** Index of this branch in its owner. */
    readonly index: number,
    private readonly frTimer: number,
    private readonly frInvTimer: number,
  ) {
    this.interval = layer.cfg.t1;
    this.key = clientKey(branch, method);
    this.end = new TxnTimer(this);
  }

  get isInvite(): boolean {
    return this.method === 'INVITE';
  }

  /** Sends the request and arms the timers; false when the transport refused it. */
  start(): boolean {
    if (!this.layer.send(this.target, this.buf)) {
      this.state = ClientState.Terminated;
      return false;
    }
    this.layer.clients.set(this.key, this);
    if (this.target.proto === 'udp') this.armRetr();
    this.layer.timers.arm(this.end, this.frTimer, T.FR);
    return true;
  }

  onResponse(msg: SipMessage): void {
    const status = msg.status;
    this.layer.stats.rplReceived++;
    if (this.state === ClientState.Completed || this.state === ClientState.Terminated) {
      // retransmitted final: re-ACK a non-2xx, hand a 2xx on (it is end to end)
      if (status >= 300 && this.isInvite) {
        this.ack ??= buildAck(this.buf, msg);
        this.layer.send(this.target, this.ack);
      } else if (status >= 200 && status < 300 && this.isInvite) this.owner.onBranchReply(this, msg);
      return;
    }
    this.replied = true;
    if (status < 200) {
      if (this.state === ClientState.Calling) {
        this.state = ClientState.Proceeding;
        if (this.isInvite) {
          this.clearRetr();
          this.layer.timers.arm(this.end, this.frInvTimer, T.FR);
        } else if (this.target.proto === 'udp') {
          this.interval = this.layer.cfg.t2;
          this.armRetr();
        }
      }
      if (status > this.lastStatus) this.lastStatus = status;
      this.owner.onBranchReply(this, msg);
      return;
    }
    this.lastStatus = status;
    this.finalReply = msg;
    this.state = ClientState.Completed;
    this.clearRetr();
    this.layer.timers.clear(this.end);
    if (this.isInvite && status >= 300) {
      this.ack = buildAck(this.buf, msg);
      this.layer.send(this.target, this.ack);
    }
    if (this.isInvite && status < 300) {
      // RFC 3261 17.1.1.2: a 2xx ends the INVITE client transaction at once; its
      // retransmissions match nothing and the core forwards them statelessly upstream
      this.owner.onBranchReply(this, msg);
      this.terminate();
      return;
    }
    // a non-INVITE needs its request no more: no ACK, no retransmission from here on
    if (!this.isInvite) this.buf = EMPTY;
    const udp = this.target.proto === 'udp';
    if (udp && !this.isInvite && this.layer.linger.client(this.key, this.layer.cfg.wtTimer)) {
      // the linger table absorbs its retransmitted replies (linger.ts): the object can go
      this.layer.clients.deleteIf(this.key, this);
    } else this.layer.timers.arm(this.end, udp ? this.layer.cfg.wtTimer : 0, T.WAIT);
    this.owner.onBranchReply(this, msg);
  }

  /**
   * The proxy transaction is done with this branch: keep only what absorbing
   * retransmissions needs (our request bytes, to build an ACK), drop the rest.
   */
  detach(): void {
    this.owner = NO_OWNER;
    this.finalReply = null;
  }

  /** CANCELs this (INVITE) branch in a client transaction of its own (RFC 3261 §9.1). */
  cancel(): void {
    const c = new ClientTxn(
      this.layer,
      this.branch,
      'CANCEL',
      buildCancel(this.buf),
      this.target,
      NO_OWNER,
      this.index,
      this.layer.cfg.frTimer,
      this.layer.cfg.frTimer,
    );
    c.start();
  }

  /** Stops retransmitting and waits quietly (a branch we cancel before any reply). */
  quiet(): void {
    this.clearRetr();
  }

  /**
   * The connection carrying the request failed before any reply: the branch ends as
   * a timeout would (t_branch_timeout() true, no reply), so the failure route fails
   * over at once — Kamailio's branch would wait for fr_timer.
   */
  transportFailed(): void {
    if (this.state !== ClientState.Calling) return;
    this.layer.timers.clear(this.end);
    this.onTimer(T.FR);
  }

  onTimer(kind: number): void {
    if (kind === T.RETR) {
      if (this.state !== ClientState.Calling && !(this.state === ClientState.Proceeding && !this.isInvite)) return;
      this.layer.send(this.target, this.buf);
      this.interval = Math.min(this.interval * 2, this.layer.cfg.t2);
      this.armRetr();
      return;
    }
    if (kind === T.FR) {
      if (this.state === ClientState.Completed || this.state === ClientState.Terminated) return;
      this.timedOut = true;
      this.lastStatus = 408;
      this.clearRetr();
      this.state = ClientState.Completed;
      // keep listening a little: a late reply must still find us (and be ACKed/forwarded)
      this.layer.timers.arm(this.end, this.layer.cfg.wtTimer, T.WAIT);
      this.owner.onBranchReply(this, null);
      return;
    }
    this.terminate();
  }

  private armRetr(): void {
    this.layer.timers.arm((this.retr ??= new TxnTimer(this)), this.interval, T.RETR);
  }

  private clearRetr(): void {
    if (this.retr !== null) this.layer.timers.clear(this.retr);
  }

  terminate(): void {
    this.state = ClientState.Terminated;
    // an ended branch tells its owner nothing more; dropping it keeps whatever still
    // points here (a Map's obsolete hash table) from holding the whole call
    this.owner = NO_OWNER;
    this.clearRetr();
    this.layer.timers.clear(this.end);
    this.layer.clients.deleteIf(this.key, this);
  }
}
