/**
 * The limits dsd enforces, read from the config: the stream connection limits from the
 * core globals (Kamailio's names and units: seconds), and the transaction admission bound
 * from tm modparams of dsd's own.
 */
import type { Globals } from '../script/globals';
import { CONN_LIMIT_DEFAULTS, ConnLimitConfig } from '../transport/conn-limits';
import { ADMISSION_DEFAULTS, AdmissionConfig } from '../proxy/admission';

function secs(v: number | string | null | undefined, dflt: number): number {
  if (v === null || v === undefined) return dflt;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n * 1000 : dflt;
}

export function tcpLimitsFrom(g: Globals): ConnLimitConfig {
  const d = CONN_LIMIT_DEFAULTS;
  const ipLimit = g.other.get('tcp_accept_iplimit');
  return {
    maxConnections: g.tcpMaxConnections !== null && g.tcpMaxConnections >= 0 ? g.tcpMaxConnections : d.maxConnections,
    maxPerIp: ipLimit !== undefined && Number(ipLimit) >= 0 ? Number(ipLimit) : d.maxPerIp,
    lifetimeMs: secs(g.tcpConnectionLifetime, d.lifetimeMs),
    connectTimeoutMs: secs(g.tcpConnectTimeout, d.connectTimeoutMs),
    sendTimeoutMs: secs(g.tcpSendTimeout, d.sendTimeoutMs),
    readTimeoutMs: secs(g.other.get('tcp_msg_read_timeout'), d.readTimeoutMs),
    dataTimeoutMs: secs(g.other.get('tcp_msg_data_timeout'), d.dataTimeoutMs),
  };
}

/** modparam("tm", "max_transactions" | "max_transaction_bytes" | "max_transactions_per_source" | "busy_retry_after"). */
export function admissionFrom(param: (name: string) => string | number | undefined): AdmissionConfig {
  const int = (name: string, dflt: number): number => {
    const v = param(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`modparam("tm", "${name}"): expects a non-negative integer, got ${v}`);
    return n;
  };
  return {
    maxTransactions: int('max_transactions', ADMISSION_DEFAULTS.maxTransactions),
    maxBytes: int('max_transaction_bytes', ADMISSION_DEFAULTS.maxBytes),
    maxPerSource: int('max_transactions_per_source', ADMISSION_DEFAULTS.maxPerSource),
    retryAfter: int('busy_retry_after', ADMISSION_DEFAULTS.retryAfter),
  };
}
