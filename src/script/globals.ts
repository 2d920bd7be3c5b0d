// Core (global) parameters of kamailio.cfg, checked and turned into a typed Globals.
// Parameters dsd uses get typed fields; other real Kamailio globals are accepted
// with one warning; anything else is an error.
import { portNumber, splitHostPort } from '../core/hostport';
import type { GlobalAssign, GlobalValue } from './ast';
import type { Diagnostics, SourcePos } from './errors';
import { UDP_MAX_BUFFER_DEFAULT } from '../transport/rcvbuf';

export type ListenProto = 'udp' | 'tcp' | 'tls' | 'sctp' | 'ws' | 'wss' | 'any';

interface ListenAddress {
  readonly proto: ListenProto;
  /** IP literal (IPv6 without brackets), host name or interface name. */
  readonly host: string;
  /** null = default (the `port` global, else 5060). */
  readonly port: number | null;
  readonly advertise: { readonly host: string; readonly port: number | null } | null;
  readonly name: string | null;
  readonly virtual: boolean;
  readonly pos: SourcePos;
}

export interface Globals {
  listen: ListenAddress[];
  port: number | null;
  children: number;
  /** dsd: per cent of the reading worker's event loop under which it keeps new calls itself (src/workers/placement.ts). */
  childrenPack: number;
  debug: number;
  logStderror: boolean;
  logFacility: string;
  logName: string | null;
  logPrefix: string | null;
  logColor: boolean;
  fork: boolean;
  disableTcp: boolean;
  /** enable_tls / tls_enable (disable_tls inverts). */
  enableTls: boolean;
  autoAliases: boolean;
  aliases: ListenAddress[];
  sipWarning: boolean;
  mpath: string | null;
  memdbg: number;
  memlog: number;
  serverHeader: string | null;
  userAgentHeader: string | null;
  serverSignature: boolean;
  maxWhileLoops: number;
  maxRecursiveLevel: number;
  maxBranches: number;
  tcpChildren: number | null;
  tcpConnectionLifetime: number | null;
  tcpConnectTimeout: number | null;
  tcpSendTimeout: number | null;
  tcpMaxConnections: number | null;
  /** maxbuffer: the most a UDP socket's receive buffer is raised to (bytes; dsd 4 MB, Kamailio 256 KB). */
  maxBuffer: number;
  advertisedAddress: string | null;
  advertisedPort: number | null;
  /** Accepted Kamailio globals without effect in dsd, and custom `group.var` values. */
  other: Map<string, string | number>;
}

function defaultGlobals(): Globals {
  return {
    listen: [],
    port: null,
    children: 1, // dsd: absent means one SIP worker (Kamailio: 8)
    childrenPack: 90,
    debug: 0,
    logStderror: false,
    logFacility: 'LOG_DAEMON',
    logName: null,
    logPrefix: null,
    logColor: false,
    fork: true,
    disableTcp: false,
    enableTls: false,
    autoAliases: true,
    aliases: [],
    sipWarning: false,
    mpath: null,
    memdbg: 3,
    memlog: 3,
    serverHeader: null,
    userAgentHeader: null,
    serverSignature: true,
    maxWhileLoops: 100,
    maxRecursiveLevel: 256,
    maxBranches: 12,
    tcpChildren: null,
    tcpConnectionLifetime: null,
    tcpConnectTimeout: null,
    tcpSendTimeout: null,
    tcpMaxConnections: null,
    maxBuffer: UDP_MAX_BUFFER_DEFAULT,
    advertisedAddress: null,
    advertisedPort: null,
    other: new Map(),
  };
}

type Kind = 'int' | 'bool' | 'str' | 'strid';
type Setter = (g: Globals, v: number | string | boolean) => void;

const TYPED: Record<string, { kind: Kind; set: Setter }> = {
  port: { kind: 'int', set: (g, v) => (g.port = v as number) },
  children: { kind: 'int', set: (g, v) => (g.children = v as number) },
  children_pack: { kind: 'int', set: (g, v) => (g.childrenPack = v as number) },
  debug: { kind: 'int', set: (g, v) => (g.debug = v as number) },
  log_stderror: { kind: 'bool', set: (g, v) => (g.logStderror = v as boolean) },
  log_facility: { kind: 'strid', set: (g, v) => (g.logFacility = v as string) },
  log_name: { kind: 'str', set: (g, v) => (g.logName = v as string) },
  log_prefix: { kind: 'str', set: (g, v) => (g.logPrefix = v as string) },
  log_color: { kind: 'bool', set: (g, v) => (g.logColor = v as boolean) },
  fork: { kind: 'bool', set: (g, v) => (g.fork = v as boolean) },
  disable_tcp: { kind: 'bool', set: (g, v) => (g.disableTcp = v as boolean) },
  enable_tls: { kind: 'bool', set: (g, v) => (g.enableTls = v as boolean) },
  tls_enable: { kind: 'bool', set: (g, v) => (g.enableTls = v as boolean) },
  disable_tls: { kind: 'bool', set: (g, v) => (g.enableTls = !(v as boolean)) },
  tls_disable: { kind: 'bool', set: (g, v) => (g.enableTls = !(v as boolean)) },
  auto_aliases: { kind: 'bool', set: (g, v) => (g.autoAliases = v as boolean) },
  sip_warning: { kind: 'bool', set: (g, v) => (g.sipWarning = v as boolean) },
  mpath: { kind: 'str', set: (g, v) => (g.mpath = v as string) },
  memdbg: { kind: 'int', set: (g, v) => (g.memdbg = v as number) },
  mem_dbg: { kind: 'int', set: (g, v) => (g.memdbg = v as number) },
  memlog: { kind: 'int', set: (g, v) => (g.memlog = v as number) },
  mem_log: { kind: 'int', set: (g, v) => (g.memlog = v as number) },
  server_header: { kind: 'str', set: (g, v) => (g.serverHeader = v as string) },
  user_agent_header: { kind: 'str', set: (g, v) => (g.userAgentHeader = v as string) },
  server_signature: { kind: 'bool', set: (g, v) => (g.serverSignature = v as boolean) },
  max_while_loops: { kind: 'int', set: (g, v) => (g.maxWhileLoops = v as number) },
  max_recursive_level: { kind: 'int', set: (g, v) => (g.maxRecursiveLevel = v as number) },
  max_branches: { kind: 'int', set: (g, v) => (g.maxBranches = v as number) },
  tcp_children: { kind: 'int', set: (g, v) => (g.tcpChildren = v as number) },
  tcp_connection_lifetime: { kind: 'int', set: (g, v) => (g.tcpConnectionLifetime = v as number) },
  tcp_connect_timeout: { kind: 'int', set: (g, v) => (g.tcpConnectTimeout = v as number) },
  tcp_send_timeout: { kind: 'int', set: (g, v) => (g.tcpSendTimeout = v as number) },
  tcp_max_connections: { kind: 'int', set: (g, v) => (g.tcpMaxConnections = v as number) },
  maxbuffer: { kind: 'int', set: (g, v) => (g.maxBuffer = v as number) },
  // Kamailio 5.8's names for limits dsd enforces (read from `other` by daemon/limits-config.ts)
  tcp_accept_iplimit: { kind: 'int', set: (g, v) => g.other.set('tcp_accept_iplimit', v as number) },
  tcp_msg_read_timeout: { kind: 'int', set: (g, v) => g.other.set('tcp_msg_read_timeout', v as number) },
  tcp_msg_data_timeout: { kind: 'int', set: (g, v) => g.other.set('tcp_msg_data_timeout', v as number) },
  // the TLS handshake deadline (Kamailio 5.6 parses it and, built without CORE_TLS, ignores it)
  tls_handshake_timeout: { kind: 'int', set: (g, v) => g.other.set('tls_handshake_timeout', v as number) },
  // the one DNS resolver's cache and timeouts (read from `other` by daemon/dns-config.ts)
  use_dns_cache: { kind: 'bool', set: (g, v) => g.other.set('use_dns_cache', v ? 1 : 0) },
  dns_cache_min_ttl: { kind: 'int', set: (g, v) => g.other.set('dns_cache_min_ttl', v as number) },
  dns_cache_max_ttl: { kind: 'int', set: (g, v) => g.other.set('dns_cache_max_ttl', v as number) },
  dns_cache_negative_ttl: { kind: 'int', set: (g, v) => g.other.set('dns_cache_negative_ttl', v as number) },
  dns_retr_time: { kind: 'int', set: (g, v) => g.other.set('dns_retr_time', v as number) },
  dns_retr_no: { kind: 'int', set: (g, v) => g.other.set('dns_retr_no', v as number) },
  advertised_address: { kind: 'strid', set: (g, v) => (g.advertisedAddress = v as string) },
  advertised_port: { kind: 'int', set: (g, v) => (g.advertisedPort = v as number) },
};

/** Real Kamailio 5.6 globals that dsd accepts but ignores (one warning each). */
const NO_EFFECT = new Set(
  `fork_delay modinit_delay log_prefix_mode log_engine_type log_engine_data
xavp_via_params xavp_via_fields dns rev_dns dns_try_ipv6 dns_try_naptr dns_srv_lb dns_srv_loadbalancing
dns_udp_pref dns_udp_preference dns_tcp_pref dns_tcp_preference dns_tls_pref dns_tls_preference
dns_sctp_pref dns_sctp_preference dns_slow_query_ms dns_servers_no
dns_use_search_list dns_search_full_match dns_naptr_ignore_rfc dns_cache_init
use_dns_failover dns_cache_flags dns_cache_mem
dns_cache_gc_interval dns_cache_del_nonexp dns_cache_delete_nonexpired dns_cache_rec_pref auto_bind_ipv6
bind_ipv6_link_local ipv6_hex_style dst_blocklist_init use_dst_blocklist dst_blocklist_mem
dst_blocklist_expire dst_blocklist_ttl dst_blocklist_gc_interval dst_blocklist_udp_imask
dst_blocklist_tcp_imask dst_blocklist_tls_imask dst_blocklist_sctp_imask dst_blacklist_init
use_dst_blacklist ip_free_bind ipfreebind ip_nonlocal_bind statistics stats_name_separator
sql_buffer_size socket_workers async_workers async_usleep async_nonblock async_workers_group check_via
phone2tel mem_summary mem_safety mem_join mem_status_mode corelog core_log sip_parser_log_oneline
sip_parser_log sip_parser_mode reply_to_via user uid group gid chroot workdir wdir rundir run_dir mhomed
tcp_accept_aliases tcp_accept_unique tcp_connection_match tcp_poll_method tls_max_connections
tcp_no_connect tcp_source_ipv4 tcp_source_ipv6 tcp_fd_cache tcp_buf_write tcp_async tcp_conn_wq_max
tcp_wq_max tcp_rd_buf_size tcp_wq_blk_size tcp_defer_accept tcp_delayed_ack tcp_syncnt tcp_linger2
tcp_keepalive tcp_keepidle tcp_keepintvl tcp_keepcnt tcp_crlf_ping tcp_accept_no_cl tcp_accept_hep3
tcp_accept_haproxy tcp_clone_rcvbuf tcp_reuse_port tcp_wait_data tcp_script_mode disable_tls tls_disable
enable_tls tls_enable tlslog tls_log tls_port_no tls_method tls_verify tls_require_certificate
tls_certificate tls_private_key tls_ca_list tls_send_timeout disable_sctp
enable_sctp sctp_children disable_core_dump open_files_limit shm shm_mem shm_mem_size shm_force_alloc
mlock_pages real_time rt_prio rt_policy rt_timer1_prio rt_fast_timer_prio rt_ftimer_prio
rt_timer1_policy rt_ftimer_policy rt_timer2_prio rt_stimer_prio rt_timer2_policy rt_stimer_policy
mcast_loopback mcast_ttl mcast tos pmtu_discovery exit_timeout ser_kill_timeout pv_buffer_size
pv_buffer_slots pv_cache_limit pv_cache_action http_reply_hack http_reply_parse version_table
verbose_startup server_id route_locks_size wait_worker1_mode wait_worker1_time wait_worker1_usleep kemi
onsend_route_callback reply_route_callback event_route_callback received_route_callback
received_route_mode pre_routing_callback latency_cfg_log latency_log latency_limit_db
latency_limit_action latency_limit_cfg uri_host_extra_chars hdr_name_extra_chars msg_time
onsend_route_reply udp_mtu udp_mtu_try_proto udp4_raw udp4_raw_mtu udp4_raw_ttl force_rport add_rport
local_rport add_local_rport tcp_opt_crlf_ping`
    .split(/\s+/)
    .filter(Boolean),
);

const FACILITIES = new Set([
  'LOG_AUTH',
  'LOG_AUTHPRIV',
  'LOG_CRON',
  'LOG_DAEMON',
  'LOG_FTP',
  'LOG_KERN',
  'LOG_LPR',
  'LOG_MAIL',
  'LOG_NEWS',
  'LOG_SYSLOG',
  'LOG_USER',
  'LOG_UUCP',
  'LOG_LOCAL0',
  'LOG_LOCAL1',
  'LOG_LOCAL2',
  'LOG_LOCAL3',
  'LOG_LOCAL4',
  'LOG_LOCAL5',
  'LOG_LOCAL6',
  'LOG_LOCAL7',
]);

const ADDR_PROTOS = ['udp', 'tcp', 'tls', 'sctp', 'ws', 'wss', 'any', '*'];
const BRACKETED_V6 = /^\[[0-9a-fA-F:.]+\]$/;
const HOST_NAME = /^[A-Za-z0-9_.*-]+$/;

/** Parse `[proto:]host[:port]` as Kamailio's listen/alias (core/hostport.ts); null if malformed. */
export function parseAddress(s: string): { proto: ListenProto; host: string; port: number | null } | null {
  if (/^[0-9a-fA-F]*:[0-9a-fA-F:.]*:[0-9a-fA-F:.]*$/.test(s) && !s.includes('[')) {
    return { proto: 'any', host: s, port: null }; // bare IPv6 literal
  }
  const p = splitHostPort(s, ADDR_PROTOS);
  if (!p) return null;
  let host = p.host;
  if (host.startsWith('[')) {
    if (!BRACKETED_V6.test(host)) return null;
    host = host.slice(1, -1);
  } else if (!HOST_NAME.test(host)) return null;
  let port: number | null = null;
  if (p.port !== null && p.port !== '*') {
    port = portNumber(p.port);
    if (port === null || port < 1) return null;
  }
  const proto = p.proto ?? 'any';
  return { proto: (proto === '*' ? 'any' : proto) as ListenProto, host, port };
}

function describeValue(v: GlobalValue): string {
  return v.k === 'num' ? 'an integer' : v.k === 'str' ? 'a string' : v.k === 'id' ? `identifier '${v.v}'` : `'${v.v}'`;
}

export function buildGlobals(
  assigns: readonly GlobalAssign[],
  diag: Diagnostics,
  g: Globals = defaultGlobals(),
): Globals {
  for (const a of assigns) {
    if (a.name === 'listen' || a.name === 'alias') {
      addAddresses(a, diag, a.name === 'listen' ? g.listen : g.aliases);
      continue;
    }
    const v = a.values[0];
    if (a.name.includes('.')) {
      g.other.set(a.name, v.k === 'num' ? v.v : v.v);
      diag.warn(a.pos, `custom config variable '${a.name}' has no effect in dsd`);
      continue;
    }
    const spec = TYPED[a.name];
    if (spec) {
      const typed = checkKind(a.name, spec.kind, v, diag);
      if (typed === undefined) continue;
      if (a.name === 'log_facility' && !FACILITIES.has(String(typed))) {
        diag.error(v.pos, `invalid log_facility '${typed}' (expected LOG_DAEMON, LOG_LOCAL0..7, ...)`);
        continue;
      }
      if ((a.name === 'port' || a.name === 'advertised_port') && ((typed as number) < 1 || (typed as number) > 65535)) {
        diag.error(v.pos, `${a.name}: invalid port number ${typed}`);
        continue;
      }
      if (a.name === 'children_pack' && ((typed as number) < 0 || (typed as number) > 100)) {
        diag.error(v.pos, `children_pack is a percentage (0-100), got ${typed}`);
        continue;
      }
      if (a.name === 'children' && (typed as number) < 1) {
        diag.error(v.pos, `children must be at least 1, got ${typed}`);
        continue;
      }
      spec.set(g, typed);
      continue;
    }
    if (NO_EFFECT.has(a.name)) {
      g.other.set(a.name, v.k === 'num' ? v.v : v.v);
      diag.warnOnce(`global:${a.name}`, a.pos, `global parameter '${a.name}' has no effect in dsd`);
      continue;
    }
    diag.error(a.pos, `unknown global parameter '${a.name}'`);
  }
  return g;
}

function checkKind(name: string, kind: Kind, v: GlobalValue, diag: Diagnostics): number | string | boolean | undefined {
  switch (kind) {
    case 'int':
      if (v.k === 'num') return v.v;
      break;
    case 'bool':
      if (v.k === 'num') return v.v !== 0;
      break;
    case 'str':
      if (v.k === 'str') return v.v;
      break;
    case 'strid':
      if (v.k === 'str' || v.k === 'id' || v.k === 'word') return v.v;
      break;
  }
  const want = kind === 'int' ? 'an integer' : kind === 'bool' ? 'yes/no or a number' : 'a string';
  diag.error(v.pos, `global parameter '${name}' expects ${want}, got ${describeValue(v)}`);
  return undefined;
}

function addAddresses(a: GlobalAssign, diag: Diagnostics, into: ListenAddress[]): void {
  let adv: ListenAddress['advertise'] = null;
  if (a.advertise) {
    const p = parseAddress(String(a.advertise.v));
    if (!p || p.proto !== 'any')
      diag.error(a.advertise.pos, `invalid advertise address '${a.advertise.v}' (expected host[:port])`);
    else adv = { host: p.host, port: p.port };
  }
  for (const v of a.values) {
    const text = v.k === 'num' ? String(v.v) : v.v;
    const p = parseAddress(text);
    if (!p) {
      diag.error(v.pos, `invalid ${a.name} address '${text}' (expected [proto:]host[:port])`);
      continue;
    }
    into.push({ ...p, advertise: adv, name: a.sockName, virtual: a.virtual, pos: v.pos });
  }
}
