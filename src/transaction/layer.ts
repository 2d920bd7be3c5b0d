/**
 * The transaction table, matching, and the timers every transaction uses. Server
 * transactions are keyed as in keys.ts, client transactions by our branch + method.
 * Matching lives here, as in tm: the proxy asks whether a request or reply belongs to a
 * transaction before it routes anything. The layer owns the counters `tm.stats` reports.
 */
import type { SipMessage } from '../sip/message';
import type { Source, Target } from '../transport/types';
import type { TmConfig } from './config';
import { ServerTxn } from './server';
import { ClientTxn, ClientOwner } from './client';
import { serverKey, clientKeyOfResponse } from './keys';
import type { Sender, TmStats } from './host';
import { TimerWheel, type Clock } from './timer';
import { ReplyArena } from './reply-arena';
import { LingerTable, LingerKind } from './linger';
import { ChurnTable } from '../core/churn-table';

export interface TxnLayerOptions {
  tm: TmConfig;
  /** Whole `Server: …` line of replies generated here; none when null. */
  serverHeader: string | null;
  /** Whole `User-Agent: …` line of requests of our own; none when null. */
  userAgentHeader?: string | null;
  /** The timers' clock (ms); performance.now unless a test mocks time. */
  clock?: Clock;
  /**
   * The To tag a request's transaction replies with (the proxy's sl tag): a CANCEL of an
   * INVITE that only lingers (linger.ts) is answered with its INVITE's tag.
   */
  toTagOf?: (req: SipMessage) => string;
}

export class TxnLayer {
  readonly servers = new ChurnTable<ServerTxn>();
  readonly clients = new ChurnTable<ClientTxn>();
  readonly stats: TmStats = {
    current: 0,
    waiting: 0,
    total: 0,
    totalLocal: 0,
    rplReceived: 0,
    rplGenerated: 0,
    rplSent: 0,
    byClass: [0, 0, 0, 0, 0, 0, 0],
    created: 0,
    freed: 0,
  };
  readonly cfg: TmConfig;
  readonly timers: TimerWheel;
  readonly replies = new ReplyArena();
  /** Transactions that only linger, as rows rather than objects (linger.ts). */
  readonly linger: LingerTable;
  private readonly toTagOf: (req: SipMessage) => string;
  readonly serverHeader: string | null;
  readonly userAgentHeader: string | null;

  constructor(
    private readonly transport: Sender,
    o: TxnLayerOptions,
  ) {
    this.cfg = o.tm;
    // the literal's elements are copy-on-write until the first store: made writable now, as
    // the warm-up's layers' are by their first replies, so the first real reply stores
    // through the code V8 optimised on those (daemon/warmup.ts)
    this.stats.byClass[0] = 0;
    this.timers = new TimerWheel(o.clock);
    this.linger = new LingerTable(this.timers, this.stats, (t, b) => this.send(t, b));
    const tag = `${Math.floor(Math.random() * 0xffffffff).toString(16)}-lt`;
    this.toTagOf = o.toTagOf ?? (() => tag);
    this.serverHeader = o.serverHeader;
    this.userAgentHeader = o.userAgentHeader ?? null;
  }

  send(target: Target, buf: Buffer): boolean {
    return this.transport.send(target, buf);
  }

  /** The last message keyed and its key: a request is keyed when it arrives and again when its transaction is made. */
  private keyed: SipMessage | null = null;
  private keyedAs: string | null = null;

  /** Server transaction key of `msg` (keys.ts), computed once for the message being handled. */
  keyOf(msg: SipMessage): string | null {
    if (msg !== this.keyed) {
      this.keyedAs = serverKey(msg);
      this.keyed = msg;
    }
    return this.keyedAs;
  }

  /**
   * A new request: a retransmission is answered with the last reply, the ACK of a
   * negative final is absorbed hop by hop (RFC 3261 §17.2.1, §17.2.3). True when the
   * request belonged to a transaction and needs nothing more.
   */
  absorbRequest(msg: SipMessage): boolean {
    const key = this.keyOf(msg);
    if (key === null) return false;
    const st = this.servers.get(key);
    if (!st) return this.linger.absorbRequest(key, msg.method === 'ACK');
    if (msg.method === 'ACK') {
      if (!st.isInvite || st.lastStatus < 300) return false;
      st.onAck();
      return true;
    }
    st.onRetransmission();
    return true;
  }

  /** A reply: handed to its client transaction (RFC 3261 §17.1.3); false when none matches. */
  matchReply(msg: SipMessage): boolean {
    const key = clientKeyOfResponse(msg);
    if (key === null) return false;
    const ct = this.clients.get(key);
    if (!ct) {
      if (!this.linger.absorbReply(key)) return false;
      this.stats.rplReceived++;
      return true;
    }
    ct.onResponse(msg);
    return true;
  }

  /** The INVITE server transaction a CANCEL names (RFC 3261 §9.2), if any. */
  inviteOf(cancel: SipMessage): ServerTxn | undefined {
    const key = serverKey(cancel, 'INVITE');
    return key !== null ? this.servers.get(key) : undefined;
  }

  /** Whether a server transaction (one in progress, or one lingering as a row) has `key`. */
  hasServer(key: string): boolean {
    return this.servers.has(key) || this.linger.kindOf(key) === LingerKind.Accepted;
  }

  /**
   * A CANCEL for a known INVITE gets a transaction of its own answered 200 with the
   * INVITE's To tag; returns that INVITE transaction, null when the INVITE was answered
   * 2xx and only lingers (linger.ts), undefined when none matches.
   */
  receiveCancel(cancel: SipMessage, src: Source): ServerTxn | null | undefined {
    const inv = this.inviteOf(cancel);
    let toTag: string;
    if (inv) toTag = inv.toTag;
    else {
      const ik = serverKey(cancel, 'INVITE');
      if (ik === null || this.linger.kindOf(ik) !== LingerKind.Accepted) return undefined;
      toTag = this.toTagOf(cancel);
    }
    const key = this.keyOf(cancel);
    if (key !== null && !this.servers.has(key))
      new ServerTxn(this, key, cancel, src, toTag).replyLocal(200, 'canceling');
    return inv ?? null;
  }

  /** Every transaction ends now, objects and rows (the warm-up's layers are let go). */
  endAll(): void {
    // values() are snapshots: terminating removes entries as it goes
    for (const s of this.servers.values()) s.terminate();
    for (const c of this.clients.values()) c.terminate();
    this.linger.clear();
  }

  /**
   * Sends a request of ours in a client transaction (tm's t_request): retransmitted,
   * timed out after `frMs` (a local 408 to the owner), replies matched back to `owner`.
   * Returns the transaction, or null when the transport would not send it.
   */
  request(
    branch: string,
    method: string,
    buf: Buffer,
    target: Target,
    owner: ClientOwner,
    frMs?: number,
  ): ClientTxn | null {
    const fr = frMs ?? this.cfg.frTimer;
    const ct = new ClientTxn(this, branch, method, buf, target, owner, 0, fr, fr);
    return ct.start() ? ct : null;
  }

  /**
   * A stream connection to `target` failed (TLS handshake, refused): every branch still
   * waiting for its first reply over it fails now instead of at fr_timer.
   */
  transportFailed(target: Target): void {
    for (const ct of this.clients.values()) {
      const t = ct.target;
      if (t.proto === target.proto && t.ip === target.ip && t.port === target.port) ct.transportFailed();
    }
  }

  /** Number of transactions still in flight (not lingering to absorb retransmissions). */
  get inFlight(): number {
    let n = 0;
    for (const s of this.servers.values()) if (!s.finished) n++;
    return n;
  }
}
