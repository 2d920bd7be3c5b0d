/**
 * The max_queue_wait bound (admission.ts) as the core applies it: asks the transport how
 * long the request read now waited in its UDP queue, and says in the log when shedding
 * starts and when it ends, once per episode rather than once per 503.
 */
import type { Admission } from './admission';
import type { Source, Transport } from '../transport/types';
import type { Logger } from '../core/log';

/** An episode ends after this long without a 503. */
const QUIET_MS = 1000;

export class QueueShed {
  private episode: { socket: string; since: number; shedAtStart: number; maxWait: number } | null = null;
  private lastShed = 0;
  private timer: NodeJS.Timeout | null = null;
  /**
   * false where the measure does not hold: with several readers on one socket
   * (DSD_UDP_READERS=all) a probe is read by whichever reader comes first.
   */
  enabled = true;
  /** Set by the core while it handles a message handed over by another worker; -1 otherwise. */
  handedWait = -1;

  constructor(
    private readonly transport: Transport,
    private readonly admission: Admission,
    private readonly log: Logger,
  ) {}

  /** True when a new request read now from `src` waited past max_queue_wait; counts nothing. */
  overdue(src: Source): boolean {
    return this.waitOf(src) > this.admission.cfg.maxQueueWait;
  }

  /** True when `src`'s new request is to be answered 503: it waited past max_queue_wait. */
  sheds(src: Source): boolean {
    const wait = this.waitOf(src);
    if (!this.admission.sheds(wait)) return false;
    const now = Date.now();
    this.lastShed = now;
    const ep = this.episode;
    if (ep !== null) {
      if (wait > ep.maxWait) ep.maxWait = wait;
      return true;
    }
    this.episode = { socket: src.local.text, since: now, shedAtStart: this.admission.shed - 1, maxWait: wait };
    this.log.warn(
      `${src.local.text}: new requests waited ${Math.round(wait)} ms in the receive queue ` +
        `(tm max_queue_wait ${this.admission.cfg.maxQueueWait} ms): answering them 503 until the wait falls`,
    );
    this.timer = setInterval(() => this.check(), QUIET_MS);
    this.timer.unref();
    return true;
  }

  /**
   * How long (ms) the message being handled waited: for one handed over by the reading
   * worker, what the two queues it went through say (set by the core around it); else the
   * transport's figure for the UDP socket it was read from.
   */
  waitOf(src: Source): number {
    if (this.handedWait >= 0) return this.enabled && this.admission.cfg.maxQueueWait > 0 ? this.handedWait : 0;
    if (
      !this.enabled ||
      src.proto !== 'udp' ||
      this.admission.cfg.maxQueueWait <= 0 ||
      this.transport.queueWait === undefined
    ) {
      return 0;
    }
    return this.transport.queueWait(src.local);
  }

  private check(): void {
    const ep = this.episode;
    if (ep === null || Date.now() - this.lastShed < QUIET_MS) return;
    const n = this.admission.shed - ep.shedAtStart;
    this.log.notice(
      `${ep.socket}: the receive queue wait is within tm max_queue_wait again; ${n} new request(s) answered 503 ` +
        `in ${((this.lastShed - ep.since) / 1000).toFixed(1)} s (longest wait seen ${Math.round(ep.maxWait)} ms)`,
    );
    this.episode = null;
    this.stop();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
