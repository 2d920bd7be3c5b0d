/**
 * The max_queue_wait bound (admission.ts) as the core applies it: asks the transport how
 * long the request read now waited in its UDP queue, decides, and says in the log when
 * shedding starts and when it ends, once per episode rather than once per 503.
 *
 * It sheds a share of the new requests, not all of them: the share rises while requests
 * are read later than the bound and falls slowly while they are not, and applies only
 * while the queue is at least half the bound late (a queue that drained sheds nothing,
 * whatever the share). Shedding everything past the bound overshot: a 503 costs a quarter
 * of a call, the queue emptied, the reader took every call again and the next wave came,
 * and on the 2-vCPU VM a quarter to a half of the calls past capacity were answered 503
 * (bench/PROFILE.md, session 12). Past twice the bound every new request is shed: by
 * then the round trips of the calls in progress are near T1.
 */
import { monotonicMs } from '../core/clock';
import type { Admission } from './admission';
import type { Source, Transport } from '../transport/types';
import type { Logger } from '../core/log';

/** An episode ends after this long without a 503. */
const QUIET_MS = 1000;
/** Milliseconds of reading past the bound that take the shed share from 0 to all. */
const RISE_MS = 100;
/** Milliseconds of reading within it that take the share from all back to 0. */
const FALL_MS = 1000;

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
  /** New requests answered 503 because they waited past the bound (dsd_sip_requests_shed_total). */
  shed = 0;
  /** Share of new requests shed while the queue is late (0..1). */
  private share = 0;
  /** When `share` last moved: a clock reading (see the constructor). */
  private shareAt: number;
  /** The source of the request `overdue()` decided to shed: `sheds()` keeps that decision. */
  private decided: Source | null = null;

  constructor(
    private readonly transport: Transport,
    private readonly admission: Admission,
    private readonly log: Logger,
    private readonly random: () => number = Math.random,
    private readonly clock: () => number = monotonicMs,
  ) {
    // a clock reading from the start, not 0: a field that holds a small integer and then a
    // fraction changes its hidden class at the first fraction, and the real core's
    // QueueShed, made before the warm-up's, would keep the old one; the warm-up's code for
    // the receive path was thrown away at the first real message (bench/PROFILE.md, session 16)
    this.shareAt = clock();
  }

  /**
   * Decides now for the new request read from `src` (the reading worker, before placing the
   * call); true means `sheds(src)` will answer it 503. Counts nothing.
   */
  overdue(src: Source): boolean {
    const d = this.decide(this.waitOf(src));
    this.decided = d ? src : null;
    return d;
  }

  /** True when `src`'s new request is to be answered 503: it waited past max_queue_wait. */
  sheds(src: Source): boolean {
    const wait = this.waitOf(src);
    const forced = this.decided === src;
    this.decided = null;
    if (!forced && !this.decide(wait)) return false;
    this.shed++;
    const now = Date.now();
    this.lastShed = now;
    const ep = this.episode;
    if (ep !== null) {
      if (wait > ep.maxWait) ep.maxWait = wait;
      return true;
    }
    this.episode = { socket: src.local.text, since: now, shedAtStart: this.shed - 1, maxWait: wait };
    this.log.warn(
      `${src.local.text}: new requests waited ${Math.round(wait)} ms in the receive queue ` +
        `(tm max_queue_wait ${this.admission.cfg.maxQueueWait} ms): answering a share of them 503 until the wait falls`,
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
    if (!this.enabled || this.admission.cfg.maxQueueWait <= 0) return 0;
    if (this.handedWait >= 0) return this.handedWait;
    if (src.proto !== 'udp' || this.transport.queueWait === undefined) return 0;
    return this.transport.queueWait(src.local);
  }

  private decide(wait: number): boolean {
    const max = this.admission.cfg.maxQueueWait;
    if (max <= 0) return false;
    const now = this.clock();
    const dt = Math.min(100, Math.max(0, now - this.shareAt));
    this.shareAt = now;
    if (wait > max) this.share = Math.min(1, this.share + dt / RISE_MS);
    else if (this.share > 0) this.share = Math.max(0, this.share - dt / FALL_MS);
    return wait > 2 * max || (wait > max / 2 && this.share > 0 && this.random() < this.share);
  }

  private check(): void {
    const ep = this.episode;
    if (ep === null || Date.now() - this.lastShed < QUIET_MS) return;
    const n = this.shed - ep.shedAtStart;
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
