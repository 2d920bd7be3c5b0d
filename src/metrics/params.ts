/**
 * dsd's own dispatcher modparams for observability (Kamailio has none of these):
 *
 *   modparam("dispatcher", "ds_metrics_listen", "127.0.0.1:9090")  # Prometheus endpoint; unset = off
 *   modparam("dispatcher", "ds_metrics_allow_remote", 1)           # allow a non-loopback address
 *   modparam("dispatcher", "ds_initial_state_events", 1)           # dst-up/down baseline at start/reload
 *
 * The endpoint serves GET /metrics only. It binds a loopback address unless
 * ds_metrics_allow_remote is 1, because the metrics name every backend.
 */
import { isIP } from 'node:net';
import { DsdError } from '../core/errors';
import type { ParamExport } from '../core/modparams';

export interface MetricsListen {
  readonly host: string;
  readonly port: number;
}

export interface HealthConfig {
  /** null: no metrics endpoint (the default). */
  readonly metrics: MetricsListen | null;
  readonly initialStateEvents: boolean;
}

class HealthParamError extends DsdError {
  constructor(
    readonly param: string,
    readonly value: unknown,
    why: string,
  ) {
    super('DSD_ERR_HEALTH_PARAM', `modparam("dispatcher", "${param}", "${String(value)}"): ${why}`);
  }
}

function isLoopback(ip: string): boolean {
  if (isIP(ip) === 4) return ip.startsWith('127.');
  const l = ip.toLowerCase();
  return l === '::1' || l === '0:0:0:0:0:0:0:1' || (l.startsWith('::ffff:') && l.slice(7).startsWith('127.'));
}

/** `[tcp:]IP:PORT`, `[tcp:][IPv6]:PORT` or `[tcp:]localhost:PORT`. */
function parseMetricsListen(value: string, allowRemote: boolean): MetricsListen {
  const fail = (why: string): never => {
    throw new HealthParamError('ds_metrics_listen', value, why);
  };
  let s = value.trim();
  if (s.toLowerCase().startsWith('tcp:')) s = s.slice(4);
  let host: string;
  let portText: string;
  if (s.startsWith('[')) {
    const e = s.indexOf(']');
    if (e < 0 || s[e + 1] !== ':') fail('expected [IPv6]:PORT');
    host = s.slice(1, e);
    portText = s.slice(e + 2);
  } else {
    const c = s.lastIndexOf(':');
    if (c <= 0 || s.indexOf(':') !== c) fail('expected IP:PORT (IPv6 in brackets)');
    host = s.slice(0, c);
    portText = s.slice(c + 1);
  }
  if (host.toLowerCase() === 'localhost') host = '127.0.0.1';
  if (isIP(host) === 0) fail(`"${host}" is not an IP address`);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) fail(`bad port "${portText}"`);
  if (!allowRemote && !isLoopback(host)) {
    fail('not a loopback address; set modparam("dispatcher", "ds_metrics_allow_remote", 1) to expose the metrics');
  }
  return { host, port: Number(portText) };
}

function intParam(name: string, v: unknown): number {
  if (v === undefined || v === null || v === '') return 0;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isInteger(n)) throw new HealthParamError(name, v, 'expects an integer');
  return n;
}

/** This table's modparams under modparam("dispatcher", …). */
export const HEALTH_PARAMS: ParamExport<HealthConfig> = {
  module: 'dispatcher',
  kinds: { ds_metrics_listen: 'str', ds_metrics_allow_remote: 'int', ds_initial_state_events: 'int' },
  read(params) {
    const last = new Map(params.map((p) => [p.name, p.value]));
    return readHealthConfig((name) => last.get(name));
  },
};

/** Reads the parameters; `get` returns a modparam's value (undefined when not set). */
function readHealthConfig(get: (name: string) => unknown): HealthConfig {
  const allowRemote = intParam('ds_metrics_allow_remote', get('ds_metrics_allow_remote')) !== 0;
  const listen = get('ds_metrics_listen');
  const text = listen === undefined || listen === null ? '' : String(listen).trim();
  return {
    metrics: text.length === 0 ? null : parseMetricsListen(text, allowRemote),
    initialStateEvents: intParam('ds_initial_state_events', get('ds_initial_state_events')) !== 0,
  };
}
