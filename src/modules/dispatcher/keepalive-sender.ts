/**
 * Sends the engine's keepalives (OPTIONS by default) as client transactions through the
 * transaction layer and reports each final reply (or a local 408) back to the engine.
 *
 * Scheduling: round k starts at start + k·interval on the monotonic clock, so late timers
 * never accumulate drift, and a slow round never pushes the next one back. A round's
 * probes are spread evenly over the interval by one cursor timer (not one timer per
 * probe); probes whose slot has passed go out at once, and whatever the previous round
 * still had queued is sent before a new round starts, so no destination misses an
 * interval. Only a stalled event loop can skip a boundary: that is counted in
 * `missedRounds`, and the lag of every round start is measured.
 */
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { TxnLayer } from '../../transaction/layer';
import type { ClientTxn, ClientOwner } from '../../transaction/client';
import { buildLocalRequest } from '../../transaction/local-request';
import type { SipMessage } from '../../sip/message';
import { resolveTarget } from '../../proxy/target';
import { DSD_BRANCH } from '../../proxy/branch';
import type { Target, LocalSocket } from '../../transport/types';
import type { Dispatcher } from './engine';
import { PingTarget, shouldPing } from './keepalive';
import { PingReplyCodes, isPingSuccess, parsePingReplyCodes, NO_REPLY_CODES } from './pingcodes';
import type { DsEvent } from './state';
import type { ProbeObserver, ProbeOutcome } from './stats';

export interface KeepaliveStats {
  /** Requests handed to the transaction layer. */
  sent: number;
  /** Replies accepted as alive (2xx or ds_ping_reply_codes). */
  ok: number;
  /** Other final replies. */
  failed: number;
  /** Local 408: no final reply within the fr timer. */
  timeouts: number;
  /** Could not be sent (no route, no socket, transport refused). */
  sendErrors: number;
  /** Rounds started. */
  rounds: number;
  /** Interval boundaries that passed with no round (event loop stalled ≥ one interval). */
  missedRounds: number;
  /** How late the last round started after its boundary, ms. */
  lastLagMs: number;
  /** The worst round-start lag seen, ms. */
  maxLagMs: number;
  /** Probes of a previous round sent late because a new round began before their slot. */
  flushed: number;
}

class PingOwner implements ClientOwner {
  constructor(
    readonly sender: KeepaliveSender,
    readonly t: PingTarget,
    readonly sentAt: number,
  ) {}

  onBranchReply(_ct: ClientTxn, msg: SipMessage | null): void {
    if (msg && msg.status < 200) return;
    this.sender.finish(this, msg ? msg.status : 408, msg ? msg.reason : 'Request Timeout', msg !== null);
  }
}

export class KeepaliveSender {
  readonly stats: KeepaliveStats = {
    sent: 0,
    ok: 0,
    failed: 0,
    timeouts: 0,
    sendErrors: 0,
    rounds: 0,
    missedRounds: 0,
    lastLagMs: 0,
    maxLagMs: 0,
    flushed: 0,
  };
  /** Gets every probe's outcome (the dispatcher counters). */
  observer: ProbeObserver | null = null;
  private readonly intervalMs: number;
  private roundTimer: NodeJS.Timeout | null = null;
  private pumpTimer: NodeJS.Timeout | null = null;
  private anchor = 0;
  private roundNo = 0;
  private queue: PingTarget[] = [];
  private cursor = 0;
  private roundStart = 0;
  private step = 0;
  private seq = 1;
  private readonly callPrefix = crypto.randomBytes(6).toString('hex');
  private codesText: string | null = null;
  private codes: PingReplyCodes = NO_REPLY_CODES;
  /**
   * With several workers a reply reaches the worker its Call-ID maps to: only Call-IDs
   * this accepts are used (src/workers), so every reply comes back to the prober.
   */
  acceptCallId: ((callId: string) => boolean) | null = null;

  constructor(
    private readonly txns: TxnLayer,
    private readonly ds: Dispatcher,
    intervalSec: number,
    private readonly onEvent: (ev: DsEvent) => void,
    private readonly pickSocket: (t: PingTarget, target: Target) => LocalSocket | null,
  ) {
    this.intervalMs = Math.max(0, intervalSec) * 1000;
  }

  get running(): boolean {
    return this.roundTimer !== null;
  }

  start(): void {
    if (this.intervalMs <= 0 || this.roundTimer !== null) return;
    this.anchor = performance.now();
    this.roundNo = 0;
    this.scheduleRound();
  }

  stop(): void {
    if (this.roundTimer) clearTimeout(this.roundTimer);
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.roundTimer = null;
    this.pumpTimer = null;
    this.queue = [];
    this.cursor = 0;
  }

  private scheduleRound(): void {
    this.roundNo++;
    const due = this.anchor + this.roundNo * this.intervalMs;
    this.roundTimer = setTimeout(this.onRoundTimer, Math.max(0, due - performance.now()));
  }

  private readonly onRoundTimer = (): void => {
    const now = performance.now();
    const lag = now - (this.anchor + this.roundNo * this.intervalMs);
    if (lag >= this.intervalMs) {
      const missed = Math.floor(lag / this.intervalMs);
      this.stats.missedRounds += missed;
      this.roundNo += missed;
    }
    const lagMs = Math.max(0, lag);
    this.stats.lastLagMs = lagMs;
    if (lagMs > this.stats.maxLagMs) this.stats.maxLagMs = lagMs;
    this.round(now);
    this.scheduleRound();
  };

  /** One timer round: every target, spread over the interval from `now`. */
  round(now = performance.now()): void {
    if (this.cursor < this.queue.length && this.ds.pingEnabled) {
      this.stats.flushed += this.queue.length - this.cursor;
      for (const t of this.queue.slice(this.cursor)) this.sendIfStillDue(t);
      this.cursor = this.queue.length;
    }
    if (this.pumpTimer) {
      clearTimeout(this.pumpTimer);
      this.pumpTimer = null;
    }
    this.queue = [];
    this.cursor = 0;
    if (!this.ds.pingEnabled) return;
    const targets = this.ds.pingTargets();
    this.stats.rounds++;
    if (targets.length === 0) return;
    this.queue = targets;
    this.roundStart = now;
    this.step = (this.intervalMs || 1000) / targets.length;
    this.pump();
  }

  private readonly pump = (): void => {
    this.pumpTimer = null;
    if (!this.ds.pingEnabled) {
      this.queue = [];
      this.cursor = 0;
      return;
    }
    const now = performance.now();
    while (this.cursor < this.queue.length && this.roundStart + this.cursor * this.step <= now) {
      this.sendIfStillDue(this.queue[this.cursor++]!);
    }
    if (this.cursor < this.queue.length) {
      const wait = this.roundStart + this.cursor * this.step - now;
      this.pumpTimer = setTimeout(this.pump, Math.max(1, Math.ceil(wait)));
    } else {
      this.queue = [];
      this.cursor = 0;
    }
  };

  /** A destination disabled (or no longer probed) since the round began is skipped. */
  private sendIfStillDue(t: PingTarget): void {
    if (shouldPing(t.dest.flags, this.ds.params.ds_probing_mode)) this.send(t);
  }

  private send(t: PingTarget): void {
    let target: Target | Promise<Target>;
    try {
      target = resolveTarget(t.outboundProxy ?? t.uri);
    } catch {
      this.sendFailed(t);
      return;
    }
    if (target instanceof Promise)
      target.then(
        (tg) => this.sendTo(t, tg),
        () => this.sendFailed(t),
      );
    else this.sendTo(t, target);
  }

  private callIdOf(n: number): string {
    return `${this.callPrefix}-${n}@dsd`;
  }

  private sendTo(t: PingTarget, target: Target): void {
    const out = this.pickSocket(t, target);
    if (!out) {
      this.sendFailed(t);
      return;
    }
    let n = this.seq++;
    for (let i = 0; i < 1000 && this.acceptCallId !== null && !this.acceptCallId(this.callIdOf(n)); i++) n = this.seq++;
    const branch = `${DSD_BRANCH}ping.${this.callPrefix}${n.toString(36)}`;
    const buf = buildLocalRequest(
      {
        method: t.method,
        ruri: t.uri,
        to: t.uri,
        from: t.fromUri,
        fromTag: crypto.randomBytes(4).toString('hex'),
        callId: this.callIdOf(n),
        cseq: 10,
        userAgentLine: this.txns.userAgentHeader,
      },
      out,
      branch,
    );
    this.ds.pingSent(t);
    const owner = new PingOwner(this, t, performance.now());
    if (!this.txns.request(branch, t.method, buf, { ...target, local: out }, owner, t.frTimeoutMs ?? undefined)) {
      this.sendFailed(t);
      return;
    }
    this.stats.sent++;
  }

  private sendFailed(t: PingTarget): void {
    this.stats.sendErrors++;
    this.observer?.probe(t.setId, t.uri, 'error', null);
    const ev = this.ds.pingSendFailed(t);
    if (ev) this.onEvent(ev);
  }

  private replyCodes(): PingReplyCodes {
    const s = this.ds.params.ds_ping_reply_codes;
    if (s !== this.codesText) {
      this.codesText = s;
      this.codes = parsePingReplyCodes(s) ?? NO_REPLY_CODES;
    }
    return this.codes;
  }

  finish(owner: PingOwner, code: number, reason: string, real: boolean): void {
    const t = owner.t;
    let outcome: ProbeOutcome;
    if (code === 408 && !real) {
      outcome = 'timeout';
      this.stats.timeouts++;
    } else if (isPingSuccess(this.replyCodes(), code)) {
      outcome = 'ok';
      this.stats.ok++;
    } else {
      outcome = 'failed';
      this.stats.failed++;
    }
    this.observer?.probe(t.setId, t.uri, outcome, real ? performance.now() - owner.sentAt : null);
    const ev = this.ds.pingResult(t, code, reason, real);
    if (ev) this.onEvent(ev);
  }
}
