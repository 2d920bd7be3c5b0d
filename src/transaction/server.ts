/**
 * Server transactions (RFC 3261 §17.2): absorb request retransmissions by resending the
 * last reply, retransmit a non-2xx final reply to an INVITE over UDP until the ACK
 * (timers G/H), linger after completion (timers I/J, tm's wt_timer) and then go away.
 */
import type { SipMessage } from '../sip/message';
import type { Source, Target } from '../transport/types';
import type { TxnHost } from './host';
import { TxnTimer, type TimerTarget } from './timer';
import { localReply, replyTarget } from './reply';
import type { LingerTable } from './linger';
import type { ChurnTable } from '../core/churn-table';

const enum T {
  G = 1,
  H = 2,
  LINGER = 3,
}

const enum ServerState {
  Proceeding = 1,
  Completed = 2,
  Confirmed = 3,
  Accepted = 4,
  Terminated = 5,
  /** Left to the linger table (linger.ts): a forked INVITE's later 2xx still goes out. */
  Lingering = 6,
}

/** The transaction user above a server transaction (the proxy transaction). */
export interface ServerUser {
  /** A CANCEL for this (INVITE) transaction arrived and was answered. */
  onCancel(): void;
}

export class ServerTxn implements TimerTarget {
  state = ServerState.Proceeding;
  lastReply: Buffer | null = null;
  lastStatus = 0;
  /** Timer G (a negative INVITE final retransmitted over UDP); made when first needed. */
  private timerG: TxnTimer | null = null;
  /** Timer H, or the linger (wt_timer, timers I/J). */
  private readonly timerEnd: TxnTimer;
  private gInterval: number;
  /** The transaction user owning this server transaction; let go once it is done. */
  tu: ServerUser | null = null;

  /** Request method (kept when the request itself is let go). */
  readonly method: string;
  /** The request, and where it came from; released once a final reply went out (only retransmissions matter then). */
  req: SipMessage | null;
  private src: Source | null;
  /** Where replies go: the request's connection, or received/rport of its top Via. */
  readonly replyTarget: Target;

  constructor(
    readonly layer: TxnHost & { readonly servers: ChurnTable<ServerTxn>; readonly linger: LingerTable },
    readonly key: string,
    req: SipMessage,
    src: Source,
    /** To tag used for replies we generate for this transaction. */
    readonly toTag: string,
  ) {
    this.req = req;
    this.src = src;
    this.replyTarget = replyTarget(req, src);
    this.method = req.method;
    this.gInterval = layer.cfg.t1;
    this.timerEnd = new TxnTimer(this);
    layer.servers.set(key, this);
    layer.stats.current++;
    layer.stats.total++;
    layer.stats.created++;
  }

  get isInvite(): boolean {
    return this.method === 'INVITE';
  }

  /** True once a final reply went out (the transaction only absorbs retransmissions). */
  get finished(): boolean {
    return this.state !== ServerState.Proceeding;
  }

  /** Sends a reply upstream and moves the state machine. */
  reply(status: number, buf: Buffer, local: boolean): void {
    if (this.state === ServerState.Terminated) return;
    if (this.finished && !(status >= 200 && status < 300 && this.isInvite)) return;
    const st = this.layer.stats;
    st.rplSent++;
    if (local) st.rplGenerated++;
    const cls = Math.floor(status / 100);
    if (cls >= 1 && cls <= 6) st.byClass[cls as 1 | 2 | 3 | 4 | 5 | 6]++;
    this.layer.send(this.replyTarget, buf);
    if (status < 200) {
      this.lastReply = buf;
      this.lastStatus = status;
      return;
    }
    const wasFinished = this.finished;
    this.lastReply = buf;
    this.lastStatus = status;
    if (wasFinished) return; // an extra 2xx of a forked INVITE: sent, nothing else changes
    this.req = null;
    this.src = null;
    this.layer.stats.current--;
    this.layer.stats.waiting++;
    const udp = this.replyTarget.proto === 'udp';
    if (this.isInvite && status >= 300) {
      this.state = ServerState.Completed;
      if (udp) {
        this.lastReply = this.layer.replies.keep(buf);
        this.armG();
      }
      this.layer.timers.arm(this.timerEnd, 64 * this.layer.cfg.t1, T.H);
    } else if (this.isInvite) {
      // RFC 6026 Accepted: 2xx retransmissions from downstream are forwarded statelessly by
      // the proxy; an INVITE retransmission gets the 2xx again over UDP, as from Kamailio's
      // tm (RFC 6026 would absorb it silently: the caller then waits for the UAS's own
      // retransmission of the 2xx)
      this.state = ServerState.Accepted;
      const wt = this.layer.cfg.wtTimer;
      if (this.layer.linger.accepted(this.key, wt, udp ? buf : null, udp ? this.replyTarget : null)) this.leave();
      else {
        this.lastReply = udp ? this.layer.replies.keep(buf) : null;
        this.layer.timers.arm(this.timerEnd, wt, T.LINGER);
      }
    } else {
      this.state = ServerState.Completed;
      if (udp && this.layer.linger.resend(this.key, this.layer.cfg.wtTimer, buf, this.replyTarget)) {
        this.leave();
        return;
      }
      if (udp) this.lastReply = this.layer.replies.keep(buf);
      this.layer.timers.arm(this.timerEnd, udp ? this.layer.cfg.wtTimer : 0, T.LINGER);
    }
  }

  /**
   * The layer's linger table took over what is left of this transaction (linger.ts): it
   * leaves the table of objects now, and the counters with the row, at wt_timer.
   */
  private leave(): void {
    this.state = ServerState.Lingering;
    this.lastReply = null;
    this.tu = null;
    this.layer.servers.deleteIf(this.key, this);
  }

  /** 100 Trying (RFC 3261 §16.2): no To tag. */
  trying(): void {
    if (!this.req || !this.src) return;
    this.reply(100, localReply(this.req, this.src, 100, 'Trying', { server: this.layer.serverHeader }), true);
  }

  /**
   * A reply of our own with this transaction's To tag (t_reply, local timeouts). False
   * when it is too late: a final reply went out and the request was let go.
   */
  replyLocal(status: number, reason: string, headers?: readonly string[]): boolean {
    if (!this.req || !this.src) return false;
    const buf = localReply(this.req, this.src, status, reason, {
      toTag: this.toTag,
      headers,
      server: this.layer.serverHeader,
    });
    this.reply(status, buf, true);
    return true;
  }

  /** A retransmission of the request arrived. */
  onRetransmission(): void {
    if (this.lastReply && this.state !== ServerState.Confirmed) {
      this.layer.send(this.replyTarget, this.lastReply);
    }
  }

  /** The ACK for a non-2xx final reply arrived (absorbed here, hop by hop). */
  onAck(): void {
    if (this.state !== ServerState.Completed || !this.isInvite) return;
    this.state = ServerState.Confirmed;
    this.lastReply = null; // Confirmed absorbs silently: the reply (and its share of a slab) can go
    this.clearTimers();
    this.layer.timers.arm(this.timerEnd, this.replyTarget.proto === 'udp' ? this.layer.cfg.t4 : 0, T.LINGER);
  }

  onTimer(kind: number): void {
    if (kind === T.G) {
      if (this.state !== ServerState.Completed || !this.lastReply) return;
      this.layer.send(this.replyTarget, this.lastReply);
      this.gInterval = Math.min(this.gInterval * 2, this.layer.cfg.t2);
      this.armG();
      return;
    }
    this.terminate();
  }

  private armG(): void {
    this.layer.timers.arm((this.timerG ??= new TxnTimer(this)), this.gInterval, T.G);
  }

  private clearTimers(): void {
    if (this.timerG !== null) this.layer.timers.clear(this.timerG);
    this.layer.timers.clear(this.timerEnd);
  }

  terminate(): void {
    if (this.state === ServerState.Terminated || this.state === ServerState.Lingering) return;
    const wasFinished = this.finished;
    this.state = ServerState.Terminated;
    this.clearTimers();
    this.layer.servers.deleteIf(this.key, this);
    const st = this.layer.stats;
    if (wasFinished) st.waiting--;
    else st.current--;
    st.freed++;
    this.lastReply = null;
    this.tu = null;
  }
}
