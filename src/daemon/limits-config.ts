/**
 * The stream connection limits dsd enforces, read from the core globals (Kamailio's names
 * and units: seconds). The transaction admission bound is tm's (modules/tm/params.ts).
 */
import type { Globals } from '../script/globals';
import { CONN_LIMIT_DEFAULTS, ConnLimitConfig } from '../transport/conn-limits';

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
