/**
 * Every dispatcher modparam with its type and Kamailio 5.6.3 default (params that 5.6.3
 * lacks take the newer Kamailio default; `ds_hash_respread` is dsd's own), validated the
 * way modparam() would plus the range checks Kamailio forgets.
 */

import { ParamError } from './errors';
import { parsePingReplyCodes } from './pingcodes';

export interface DsParams {
  /** Relative names are resolved by the caller against the cfg directory. */
  list_file: string;
  db_url: string | null;
  table_name: string;
  setid_col: string;
  destination_col: string;
  flags_col: string;
  priority_col: string;
  attrs_col: string;
  force_dst: number;
  flags: number;
  use_default: number;
  xavp_dst: string;
  xavp_dst_mode: number;
  xavp_ctx: string;
  xavp_ctx_mode: number;
  hash_pvar: string | null;
  setid_pvname: string | null;
  attrs_pvname: string | null;
  ds_probing_threshold: number;
  ds_inactive_threshold: number;
  ds_ping_method: string;
  ds_ping_from: string;
  ds_ping_interval: number;
  ds_ping_fr_timeout: number;
  ds_ping_latency_stats: number;
  ds_retain_latency_stats: number;
  ds_latency_estimator_alpha: number;
  ds_ping_reply_codes: string | null;
  ds_probing_mode: number;
  ds_hash_size: number;
  ds_hash_expire: number;
  ds_hash_initexpire: number;
  ds_hash_check_interval: number;
  outbound_proxy: string | null;
  ds_default_socket: string | null;
  ds_default_sockname: string | null;
  ds_ping_socket: string | null;
  ds_timer_mode: number;
  event_callback: string | null;
  event_callback_mode: number;
  ds_attrs_none: number;
  ds_db_extra_attrs: string | null;
  ds_load_mode: number;
  reload_delta: number;
  ds_dns_mode: number;
  ds_dns_interval: number;
  ds_dns_ttl: number;
  ds_dns_match_all: number;
  ds_hash_respread: number;
  /** dsd: 1 lets a reload swap in a list with no destinations (refused by default). */
  ds_reload_allow_empty: number;
  /** dsd: consecutive real-traffic failures that eject a destination (0 = off). */
  ds_eject_failures: number;
  /** dsd: extra reply codes counted as failures, comma separated ("" = 408, 500, 503 only). */
  ds_eject_codes: string | null;
  /** dsd: seconds × ejection count before an ejected destination returns when probing is off. */
  ds_eject_time: number;
  /** dsd: never eject more than this percentage of a set. */
  ds_eject_max_percent: number;
  /** dsd: seconds over which a returning destination ramps up (0 = off). */
  ds_slow_start: number;
}

type Kind = 'int' | 'str';

interface ParamSpec {
  readonly kind: Kind;
  readonly min?: number;
  readonly max?: number;
  /** Kamailio version that introduced it, when newer than 5.6. */
  readonly since?: string;
}

const I = (min?: number, max?: number, since?: string): ParamSpec => ({ kind: 'int', min, max, since });
const S = (since?: string): ParamSpec => ({ kind: 'str', since });

export const PARAM_SPECS: { readonly [K in keyof DsParams]: ParamSpec } = {
  list_file: S(),
  db_url: S(),
  table_name: S(),
  setid_col: S(),
  destination_col: S(),
  flags_col: S(),
  priority_col: S(),
  attrs_col: S(),
  force_dst: I(),
  flags: I(0),
  use_default: I(),
  xavp_dst: S(),
  xavp_dst_mode: I(0),
  xavp_ctx: S(),
  xavp_ctx_mode: I(0),
  hash_pvar: S(),
  setid_pvname: S(),
  attrs_pvname: S(),
  ds_probing_threshold: I(0),
  ds_inactive_threshold: I(0),
  ds_ping_method: S(),
  ds_ping_from: S(),
  ds_ping_interval: I(0),
  ds_ping_fr_timeout: I(0, undefined, '6.1'),
  ds_ping_latency_stats: I(0, 1),
  ds_retain_latency_stats: I(0, 1, '5.8'),
  ds_latency_estimator_alpha: I(),
  ds_ping_reply_codes: S(),
  ds_probing_mode: I(0, 3),
  ds_hash_size: I(0, 24),
  ds_hash_expire: I(0),
  ds_hash_initexpire: I(0),
  ds_hash_check_interval: I(1),
  outbound_proxy: S(),
  ds_default_socket: S(),
  ds_default_sockname: S(),
  ds_ping_socket: S('6.1'),
  ds_timer_mode: I(0, 1),
  event_callback: S(),
  event_callback_mode: I(0, 2, '6.1'),
  ds_attrs_none: I(0, 1),
  ds_db_extra_attrs: S(),
  ds_load_mode: I(0, 1),
  reload_delta: I(0),
  ds_dns_mode: I(0, 15),
  ds_dns_interval: I(),
  ds_dns_ttl: I(),
  ds_dns_match_all: I(0, 1, 'devel'),
  ds_hash_respread: I(0, 1, 'dsd'),
  ds_reload_allow_empty: I(0, 1, 'dsd'),
  ds_eject_failures: I(0, 1000, 'dsd'),
  ds_eject_codes: S('dsd'),
  ds_eject_time: I(1, 86400, 'dsd'),
  ds_eject_max_percent: I(0, 100, 'dsd'),
  ds_slow_start: I(0, 86400, 'dsd'),
};

/** Aliases accepted by modparam(). */
const ALIASES: Readonly<Record<string, keyof DsParams>> = { ds_ping_fr_timer: 'ds_ping_fr_timeout' };

export function defaultParams(): DsParams {
  return {
    list_file: 'dispatcher.list',
    db_url: null,
    table_name: 'dispatcher',
    setid_col: 'setid',
    destination_col: 'destination',
    flags_col: 'flags',
    priority_col: 'priority',
    attrs_col: 'attrs',
    force_dst: 1,
    flags: 0,
    use_default: 0,
    xavp_dst: '_dsdst_',
    xavp_dst_mode: 0,
    xavp_ctx: '_dsctx_',
    xavp_ctx_mode: 0,
    hash_pvar: null,
    setid_pvname: null,
    attrs_pvname: null,
    ds_probing_threshold: 1,
    ds_inactive_threshold: 1,
    ds_ping_method: 'OPTIONS',
    ds_ping_from: 'sip:dispatcher@localhost',
    ds_ping_interval: 0,
    ds_ping_fr_timeout: 0,
    ds_ping_latency_stats: 0,
    ds_retain_latency_stats: 0,
    ds_latency_estimator_alpha: 900,
    ds_ping_reply_codes: null,
    ds_probing_mode: 0,
    ds_hash_size: 0,
    ds_hash_expire: 7200,
    ds_hash_initexpire: 7200,
    ds_hash_check_interval: 30,
    outbound_proxy: null,
    ds_default_socket: null,
    ds_default_sockname: null,
    ds_ping_socket: null,
    ds_timer_mode: 0,
    event_callback: null,
    event_callback_mode: 0,
    ds_attrs_none: 0,
    ds_db_extra_attrs: null,
    ds_load_mode: 0,
    reload_delta: 5,
    ds_dns_mode: 1,
    ds_dns_interval: 600,
    ds_dns_ttl: 0,
    ds_dns_match_all: 0,
    ds_hash_respread: 0,
    ds_reload_allow_empty: 0,
    ds_eject_failures: 0,
    ds_eject_codes: null,
    ds_eject_time: 30,
    ds_eject_max_percent: 50,
    ds_slow_start: 0,
  };
}

/**
 * Applies one modparam("dispatcher", name, value). Throws ParamError on an unknown name,
 * a type mismatch or an out-of-range value. Int params accept decimal strings, as the cfg
 * parser may hand numbers over as text.
 */
export function setParam(p: DsParams, rawName: string, value: string | number): void {
  const name = (ALIASES[rawName] ?? rawName) as keyof DsParams;
  const spec = PARAM_SPECS[name];
  if (!Object.prototype.hasOwnProperty.call(PARAM_SPECS, name)) {
    throw new ParamError(rawName, 'unknown dispatcher parameter');
  }
  if (spec.kind === 'str') {
    if (typeof value !== 'string') throw new ParamError(rawName, `expects a string, got ${value}`);
    (p as unknown as Record<string, unknown>)[name] = value;
    return;
  }
  let v: number;
  if (typeof value === 'number') v = value;
  else if (/^[+-]?\d+$/.test(value.trim())) v = parseInt(value.trim(), 10);
  else throw new ParamError(rawName, `expects an integer, got "${value}"`);
  if (!Number.isInteger(v)) throw new ParamError(rawName, `expects an integer, got ${value}`);
  if (spec.min !== undefined && v < spec.min) throw new ParamError(rawName, `must be >= ${spec.min}, got ${v}`);
  if (spec.max !== undefined && v > spec.max) throw new ParamError(rawName, `must be <= ${spec.max}, got ${v}`);
  (p as unknown as Record<string, unknown>)[name] = v;
}

/**
 * Cross-parameter checks and the fix-ups Kamailio's mod_init() makes. Returns warnings;
 * throws ParamError for values mod_init() would refuse.
 */
export function finalizeParams(p: DsParams): string[] {
  const warnings: string[] = [];
  if (!(p.ds_latency_estimator_alpha > 0 && p.ds_latency_estimator_alpha < 1000)) {
    warnings.push(`invalid ds_latency_estimator_alpha ${p.ds_latency_estimator_alpha} (must be 1..999), using 900`);
    p.ds_latency_estimator_alpha = 900;
  }
  if ((p.ds_dns_mode & 4) !== 0 && p.ds_dns_interval <= 0) {
    warnings.push('dns interval parameter not set - using 600');
    p.ds_dns_interval = 600;
  }
  if (p.ds_dns_ttl < 0) p.ds_dns_ttl = 0;
  if (p.ds_ping_reply_codes !== null && p.ds_ping_reply_codes.length > 0) {
    const r = parsePingReplyCodes(p.ds_ping_reply_codes);
    if (r === null) throw new ParamError('ds_ping_reply_codes', `cannot parse "${p.ds_ping_reply_codes}"`);
  }
  if (p.ds_hash_initexpire > p.ds_hash_expire && p.ds_hash_size > 0) {
    warnings.push('ds_hash_initexpire is longer than ds_hash_expire; entries expire first by ds_hash_expire');
  }
  if ((p.xavp_dst.length === 0 || p.xavp_ctx.length === 0) && (p.flags & 2) !== 0) {
    warnings.push('failover functions used, but required XAVP parameters are empty -- feature disabled');
  }
  if (p.ds_eject_codes !== null && parseEjectCodes(p.ds_eject_codes) === null) {
    throw new ParamError(
      'ds_eject_codes',
      `expects reply codes 100..699 separated by commas, got "${p.ds_eject_codes}"`,
    );
  }
  return warnings;
}

/** ds_eject_codes: "502,504" → codes; null when it does not parse. */
export function parseEjectCodes(s: string): number[] | null {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const t = part.trim();
    if (t.length === 0) continue;
    if (!/^\d{3}$/.test(t) || Number(t) < 100 || Number(t) > 699) return null;
    out.push(Number(t));
  }
  return out;
}
