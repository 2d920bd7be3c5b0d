/**
 * The bound on work in flight: past `max_transactions` proxy transactions awaiting their
 * final reply, past `max_transaction_bytes` of requests held for them (the request and
 * one copy per branch), or past `max_transactions_per_source` for one source IP, a new
 * request is answered 503 with Retry-After instead of making the heap grow. Requests
 * inside a dialog, ACK and CANCEL still pass: they end work rather than start it.
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
}

export const ADMISSION_DEFAULTS: Readonly<AdmissionConfig> = {
  maxTransactions: 20_000,
  maxBytes: 128 * 1024 * 1024,
  maxPerSource: 0,
  retryAfter: 5,
};

interface Held {
  ip: string;
  bytes: number;
}

export class Admission {
  /** Bytes retained by transactions in flight. */
  bytes = 0;
  /** Requests answered 503 because of the bound. */
  refused = 0;
  private readonly held = new Map<object, Held>();
  private readonly perSource = new Map<string, number>();

  constructor(readonly cfg: AdmissionConfig) {}

  get inFlight(): number {
    return this.held.size;
  }

  /** True when a new transaction from `ip` may start. */
  admits(ip: string): boolean {
    const c = this.cfg;
    if (
      (c.maxTransactions > 0 && this.held.size >= c.maxTransactions) ||
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
  start(txn: object, ip: string, n: number): void {
    if (this.held.has(txn)) return;
    this.held.set(txn, { ip, bytes: n });
    this.perSource.set(ip, (this.perSource.get(ip) ?? 0) + 1);
    this.bytes += n;
  }

  /** `txn` now retains `n` more bytes (its branches' copies). */
  hold(txn: object, n: number): void {
    const h = this.held.get(txn);
    if (!h) return;
    h.bytes += n;
    this.bytes += n;
  }

  /** `txn` finished: whatever it held is free. */
  release(txn: object): void {
    const h = this.held.get(txn);
    if (!h) return;
    this.held.delete(txn);
    this.bytes -= h.bytes;
    const n = (this.perSource.get(h.ip) ?? 1) - 1;
    if (n <= 0) this.perSource.delete(h.ip);
    else this.perSource.set(h.ip, n);
  }
}
