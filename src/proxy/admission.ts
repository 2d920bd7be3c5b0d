/**
 * The bound on work in flight: past `max_transactions` proxy transactions awaiting their
 * final reply, past `max_transaction_bytes` of requests held for them (the request and
 * one copy per branch), or past `max_transactions_per_source` for one source IP, a new
 * request is answered 503 with Retry-After instead of making the heap grow. So is a new
 * request that waited longer than `max_queue_wait` in its UDP socket's receive queue: the
 * reader is behind, and a 503 costs it a fraction of a call, so the queue drains before
 * callers retransmit (T1) what waits in it, where proxying everything would let the
 * retransmissions queue behind the originals until no call completes. Requests inside a
 * dialog, ACK and CANCEL still pass: they end work rather than start it.
 */
export interface AdmissionConfig {
  /** Proxy transactions in flight (0 = no bound). */
  maxTransactions: number;
  /** Bytes of requests retained by transactions in flight (0 = no bound). */
  maxBytes: number;
  /** Transactions in flight started by one source IP (0 = no bound). */
  maxPerSource: number;
  /** Retry-After seconds in the 503. */
  retryAfter: number;
  /** Milliseconds a new request may have waited in a UDP receive queue (0 = no bound). */
  maxQueueWait: number;
}

export const ADMISSION_DEFAULTS: Readonly<AdmissionConfig> = {
  maxTransactions: 20_000,
  maxBytes: 128 * 1024 * 1024,
  maxPerSource: 0,
  retryAfter: 5,
  maxQueueWait: 200,
};

/** What a transaction holds, kept on the transaction itself (no table to look it up in). */
export interface AdmissionHold {
  /** Source IP while admitted; null before start() and after release(). */
  heldIp: string | null;
  heldBytes: number;
}

export class Admission {
  /** Bytes retained by transactions in flight. */
  bytes = 0;
  /** Requests answered 503 because of the bound. */
  refused = 0;
  private held = 0;
  /** Transactions in flight per source IP; kept only when maxPerSource bounds them. */
  private readonly perSource = new Map<string, number>();

  constructor(readonly cfg: AdmissionConfig) {}

  get inFlight(): number {
    return this.held;
  }

  /** True when a new transaction from `ip` may start. */
  admits(ip: string): boolean {
    const c = this.cfg;
    if (
      (c.maxTransactions > 0 && this.held >= c.maxTransactions) ||
      (c.maxBytes > 0 && this.bytes >= c.maxBytes) ||
      (c.maxPerSource > 0 && (this.perSource.get(ip) ?? 0) >= c.maxPerSource)
    ) {
      this.refused++;
      return false;
    }
    return true;
  }

  get retryAfterHeader(): string {
    return `Retry-After: ${this.cfg.retryAfter}`;
  }

  /** `txn` (from `ip`) started, holding `n` bytes. */
  start(txn: AdmissionHold, ip: string, n: number): void {
    if (txn.heldIp !== null) return;
    txn.heldIp = ip;
    txn.heldBytes = n;
    this.held++;
    this.bytes += n;
    if (this.cfg.maxPerSource > 0) this.perSource.set(ip, (this.perSource.get(ip) ?? 0) + 1);
  }

  /** `txn` now retains `n` more bytes (its branches' copies). */
  hold(txn: AdmissionHold, n: number): void {
    if (txn.heldIp === null) return;
    txn.heldBytes += n;
    this.bytes += n;
  }

  /** `txn` finished: whatever it held is free. False when it held nothing (released already). */
  release(txn: AdmissionHold): boolean {
    const ip = txn.heldIp;
    if (ip === null) return false;
    txn.heldIp = null;
    this.held--;
    this.bytes -= txn.heldBytes;
    txn.heldBytes = 0;
    if (this.cfg.maxPerSource > 0) {
      const n = (this.perSource.get(ip) ?? 1) - 1;
      if (n <= 0) this.perSource.delete(ip);
      else this.perSource.set(ip, n);
    }
    return true;
  }
}
