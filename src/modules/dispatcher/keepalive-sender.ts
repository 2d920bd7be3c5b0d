/**
 * Sends the engine's keepalives (OPTIONS by default) as client transactions through the
 * transaction layer and reports each final reply (or a local 408) back to the engine.
 * A round's probes are spread evenly over the ping interval instead of one burst.
 */
import crypto from 'node:crypto';
import type { ProxyCore } from '../../proxy/core';
import { ClientTxn, ClientOwner } from '../../transaction/client';
import type { SipMessage } from '../../sip/message';
import { resolveTarget } from '../../proxy/target';
import type { Target, LocalSocket } from '../../transport/types';
import type { Dispatcher } from './engine';
import type { PingTarget } from './keepalive';
import type { DsEvent } from './state';

export interface KeepaliveStats {
  sent: number;
  ok: number;
  failed: number;
  timeouts: number;
  rounds: number;
}

class PingOwner implements ClientOwner {
  constructor(readonly sender: KeepaliveSender, readonly t: PingTarget) {}

  onBranchReply(ct: ClientTxn, msg: SipMessage | null): void {
    if (msg && msg.status < 200) return;
    this.sender.finish(this.t, msg ? msg.status : 408, msg ? msg.reason : 'Request Timeout', msg !== null);
    void ct;
  }

  buildAck(): Buffer {
    return Buffer.alloc(0); // OPTIONS is not an INVITE: never ACKed
  }
}

export class KeepaliveSender {
  readonly stats: KeepaliveStats = { sent: 0, ok: 0, failed: 0, timeouts: 0, rounds: 0 };
  private roundTimer: NodeJS.Timeout | null = null;
  private readonly pending = new Set<NodeJS.Timeout>();
  private seq = 1;
  private readonly callPrefix = crypto.randomBytes(6).toString('hex');

  constructor(
    private readonly core: ProxyCore,
    private readonly ds: Dispatcher,
    private readonly intervalSec: number,
    private readonly onEvent: (ev: DsEvent) => void,
    private readonly pickSocket: (t: PingTarget, target: Target) => LocalSocket | null,
  ) {}

  start(): void {
    if (this.intervalSec <= 0) return;
    const round = (): void => {
      this.round();
      this.roundTimer = setTimeout(round, this.intervalSec * 1000);
    };
    this.roundTimer = setTimeout(round, this.intervalSec * 1000);
  }

  stop(): void {
    if (this.roundTimer) clearTimeout(this.roundTimer);
    this.roundTimer = null;
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }

  /** One timer round: every target, spread over the interval. */
  round(): void {
    if (!this.ds.pingEnabled) return;
    const targets = this.ds.pingTargets();
    this.stats.rounds++;
    if (targets.length === 0) return;
    const step = (this.intervalSec * 1000) / targets.length;
    targets.forEach((t, i) => {
      if (i === 0) { this.send(t); return; }
      const timer = setTimeout(() => { this.pending.delete(timer); this.send(t); }, Math.floor(i * step));
      this.pending.add(timer);
    });
  }

  private send(t: PingTarget): void {
    let target: Target | Promise<Target>;
    try {
      target = resolveTarget(t.outboundProxy ?? t.uri);
    } catch {
      this.sendFailed(t);
      return;
    }
    if (target instanceof Promise) target.then((tg) => this.sendTo(t, tg), () => this.sendFailed(t));
    else this.sendTo(t, target);
  }

  private sendTo(t: PingTarget, target: Target): void {
    const out = this.pickSocket(t, target);
    if (!out) { this.sendFailed(t); return; }
    const n = this.seq++;
    const branch = `z9hG4bKdsdping.${this.callPrefix}${n.toString(36)}`;
    const tag = crypto.randomBytes(4).toString('hex');
    const proto = out.proto === 'udp' ? 'UDP' : 'TCP';
    const text =
      `${t.method} ${t.uri} SIP/2.0\r\n` +
      `Via: SIP/2.0/${proto} ${out.advHost}:${out.advPort};branch=${branch}\r\n` +
      `To: <${t.uri}>\r\n` +
      `From: <${t.fromUri}>;tag=${tag}\r\n` +
      `Call-ID: ${this.callPrefix}-${n}@dsd\r\n` +
      `CSeq: 10 ${t.method}\r\n` +
      `Max-Forwards: 70\r\n` +
      (this.core.serverHeader ? `User-Agent: ${this.core.serverHeader}\r\n` : '') +
      `Content-Length: 0\r\n\r\n`;
    const fr = t.frTimeoutMs ?? this.core.txns.cfg.frTimer;
    const ct = new ClientTxn(this.core.txns, branch, t.method, Buffer.from(text, 'latin1'),
      { ...target, local: out }, new PingOwner(this, t), 0, fr, fr);
    this.ds.pingSent(t);
    this.stats.sent++;
    if (!ct.start()) this.sendFailed(t);
  }

  private sendFailed(t: PingTarget): void {
    this.stats.failed++;
    const ev = this.ds.pingSendFailed(t);
    if (ev) this.onEvent(ev);
  }

  finish(t: PingTarget, code: number, reason: string, real: boolean): void {
    if (code === 408 && !real) this.stats.timeouts++;
    else if (code >= 200 && code < 300) this.stats.ok++;
    const ev = this.ds.pingResult(t, code, reason, real);
    if (ev) this.onEvent(ev);
  }
}
