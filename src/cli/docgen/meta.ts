// The maintained source of the man pages besides the command table: the daemon's options,
// signals and files (dsd.8), and the configuration language and module parameters (dsd.cfg.5).
// Keep it in step with src/daemon (argv) and the modules' modparam registries.

/** The date printed in the page footers; bump it when the pages change in substance. */
export const DOC_DATE = '2026-11-25';

export interface OptionDoc {
  readonly flag: string;
  readonly arg?: string;
  readonly text: string;
}

export const DSD_OPTIONS: readonly OptionDoc[] = [
  {
    flag: '-f',
    arg: 'FILE',
    text: 'Read the configuration from FILE (kamailio.cfg language, see dsd.cfg(5)). Default: etc/dsd.cfg of the installation.',
  },
  {
    flag: '-c',
    text: 'Check the configuration and exit: every error is printed as file:line:col: message; the exit status is 0 only for a valid file.',
  },
  {
    flag: '-DD',
    text: 'Stay in the foreground, as kamailio -DD (-D does the same); for systemd Type=simple and containers. Without it dsd goes to the background as kamailio does: the command returns 0 once the daemon serves (1 if it failed to start), and -P names the daemon, so kamailio.service (Type=forking) starts dsd unchanged.',
  },
  {
    flag: '-E',
    text: 'Log to stderr, as kamailio -E (log_stderror=yes does the same); without it dsd logs to syslog (RFC 5424 on /dev/log, or $DSD_SYSLOG_SOCKET) with log_facility and log_name. Lines are JSON, or readable text on a terminal.',
  },
  {
    flag: '--log-format',
    arg: 'json|pretty',
    text: 'JSON lines (one per event, fields as JSON) or readable lines; the default is pretty for -E on a terminal, else json.',
  },
  {
    flag: '-A',
    arg: 'NAME[=VALUE]',
    text: 'Define NAME for the preprocessor (#!ifdef NAME, or NAME replaced by VALUE), as kamailio -A; may be repeated.',
  },
  { flag: '-d', text: 'Raise the log level by one on top of debug= in the configuration; may be repeated.' },
  { flag: '-P', arg: 'FILE', text: 'Write the process id to FILE at start; the file is removed at exit.' },
  { flag: '-n', arg: 'N', text: 'Set the children global to N, overriding the configuration, as kamailio -n.' },
  {
    flag: '-b',
    arg: 'BYTES',
    text: 'Set the maxbuffer global (the largest UDP receive buffer), overriding the configuration, as kamailio -b.',
  },
  {
    flag: '-u',
    arg: 'USER',
    text: "Run as USER once every socket is open, as kamailio -u (with the user's own group unless -g is given).",
  },
  { flag: '-g', arg: 'GROUP', text: 'Run as GROUP once every socket is open, as kamailio -g.' },
  {
    flag: '-Y',
    arg: 'DIR',
    text: 'Runtime directory, as kamailio -Y: jsonrpcs fifo_name and dgram_socket given without a path are created in DIR (default /run/kamailio).',
  },
  {
    flag: '-m, -M',
    arg: 'MB',
    text: "Kamailio's shared and private memory sizes: accepted so that kamailio.service's command line starts dsd, with one warning each (dsd is one Node.js process).",
  },
  { flag: '-w', arg: 'DIR', text: 'Working directory, as kamailio -w.' },
  {
    flag: '-L',
    arg: 'DIR',
    text: "Kamailio's module directory: accepted with one warning (dsd's modules are built in).",
  },
  { flag: '-V', text: 'Print the version and exit.' },
  { flag: '-h', text: 'Print a short help and exit.' },
];

export interface SignalDoc {
  readonly name: string;
  readonly text: string;
}

export const DSD_SIGNALS: readonly SignalDoc[] = [
  {
    name: 'SIGTERM',
    text: 'Graceful stop: dsd stops taking new transactions, lets the ones in flight finish (for at most 10 seconds), removes its control socket and pid file, and exits 0. SIGINT does the same.',
  },
  {
    name: 'SIGHUP',
    text: 'Reload the destination list, like dsctl dispatcher.reload: the list file (or database table) is read again and swapped in; admin states set over the control socket are kept. A list that cannot be read, that parses to nothing or whose every line is bad is refused: the old list stays and the error is logged.',
  },
];

export interface FileDoc {
  readonly path: string;
  readonly text: string;
}

export const DSD_FILES: readonly FileDoc[] = [
  {
    path: 'etc/dsd.cfg',
    text: 'The bundled default configuration: listens on 127.0.0.1:5060 (UDP and TCP) and spreads calls over set 1 round robin.',
  },
  {
    path: 'etc/dispatcher.list',
    text: 'The bundled destination list (modparam("dispatcher", "list_file", …)); one destination per line: setid destination [flags [priority [attrs]]]; # starts a comment.',
  },
  {
    path: '/run/dsd/dsd_ctl',
    text: 'The control socket (JSON-RPC, mode 0660) when /run/dsd exists or dsd runs as root; see dsctl(8) for the other defaults.',
  },
  {
    path: '/run/dsd/dsd_ctl.admin-state.json',
    text: 'Admin states set with dispatcher.set_state / set_duid_state, re-applied after reloads and restarts (named after the control socket; modparam("dispatcher", "ds_admin_state_file", PATH) moves it, e.g. under /var/lib/dsd to survive reboots).',
  },
];

export const ENVIRONMENT: readonly { name: string; text: string }[] = [
  {
    name: 'DSD_CTL',
    text: 'Path of the control socket (a path or unix:/path), used by dsd when the configuration sets none and by dsctl when -s is not given.',
  },
  { name: 'DSD_SYSLOG_SOCKET', text: 'The syslog socket for log_stderror=no (default /dev/log).' },
  {
    name: 'DSD_UDP_NATIVE',
    text: "0: read and write the UDP sockets with node's dgram alone, not through dist/native/udpio.node (batched recvmmsg reads, built by npm run build on Linux). The start-up log says which path each UDP socket takes.",
  },
  {
    name: 'DSD_UDP_SEND_HOLD',
    text: 'How many datagrams a UDP socket holds while dsd handles a batch of datagrams read, to send them in one sendmmsg(2) when the batch is done (default 32, the most; 0: every send at once, as with dgram). Held sends wake each peer once a batch instead of once a datagram: 12–14 % less CPU per call at 4000 calls/s (README, design notes, "UDP I/O"). Needs native/udpio (DSD_UDP_NATIVE).',
  },
  {
    name: 'DSD_WARMUP_MS',
    text: "The start-up warm-up's budget in milliseconds (default 300, at most 10000; 0: no warm-up): synthetic calls through the hot path before the SIP sockets are read. With children=N, worker 0 (the first reader) warms up for the whole budget and the other workers for a fifth of it; a worker restarted after a crash warms up for the whole budget.",
  },
  {
    name: 'DSD_WARMUP_IDLE_MS',
    text: 'How long dsd may go on warming up once ready while nothing arrives (default 2000, at most 60000; 0: not at all). It stops within one synthetic call of the first SIP message, HTTP request or control command, which then wait for it, and after 5000 calls; keepalives start after it. With children=N only worker 0 at the start does it. Off when DSD_WARMUP_MS=0.',
  },
  {
    name: 'DSD_HEAP_QUIET_MS',
    text: "How often (milliseconds, default 10000, at most 3600000; 0: never) dsd looks whether a process has gone quiet: fewer than 20 SIP messages a second since the last look, and a heap grown by 8 MB (DSD_HEAP_QUIET_GROWTH_MB) since its last collection. Then it runs one low-memory collection and gives the free memory back (logged at info). It stands in for V8's own memory reducer, which dsd turns off (see NODE_OPTIONS).",
  },
  {
    name: 'DSD_HEAP_QUIET_GROWTH_MB',
    text: 'How much (megabytes of committed heap, default 8, at most 4096) a process must have grown since its last collection for a quiet look (DSD_HEAP_QUIET_MS) to collect it. Since transactions that only linger are kept outside the heap, a load leaves little behind: a smaller value gives back what it does leave.',
  },
  {
    name: 'NODE_OPTIONS',
    text: "node's own flags. dsd runs node with --max-semi-space-size=4, --no-memory-reducer, --single-threaded-gc and --heap-growing-percent=300 (its #! line, and every SIP worker). The first caps the young generation at a quarter of node's default of 16 MB: measured, a shorter tail at 6000 calls/s than 2 MB (calls in flight die young when the reader falls behind), and at 2000 calls/s the same CPU and tail as 2 MB where 8 MB cost more of both. The third keeps V8's collections on the main thread, off the cores the other processes need. The second stops V8 from collecting the heap of a process it thinks idle, which it first did about 8 s after every start, while the reader carried calls beside the workers it collected; dsd collects after its warm-up and when quiet instead (DSD_HEAP_QUIET_MS). The fourth lets the old generation grow to 4 times what survived the last full collection before the next (V8 chose about 1.2 times for dsd's small heap): a full collection's marking every 10-15 s at 6000 calls/s instead of every 4 s, and a shorter tail. A flag given here or on node's command line is kept instead (--memory-reducer turns V8's back on, --no-single-threaded-gc its helper threads).",
  },
  {
    name: 'XDG_RUNTIME_DIR',
    text: 'For unprivileged users without /run/dsd, the control socket defaults to $XDG_RUNTIME_DIR/dsd_ctl.',
  },
];

// ---- dsd.cfg(5) ----------------------------------------------------------------------------

export interface ParamDoc {
  readonly name: string;
  readonly type: 'int' | 'str';
  readonly default: string;
  readonly text: string;
}

export const GLOBAL_PARAMS: readonly ParamDoc[] = [
  {
    name: 'listen',
    type: 'str',
    default: '-',
    text: 'A socket to receive SIP on: proto:address[:port] (udp or tcp; IPv6 addresses in brackets). May be repeated.',
  },
  { name: 'port', type: 'int', default: '5060', text: 'Port for listen lines that give none.' },
  {
    name: 'debug',
    type: 'int',
    default: '0',
    text: 'Log level as in Kamailio: -1 errors, 0 warnings, 1 notice, 2 info, 3 debug. Start-up, stop, reloads and the audit trail are NOTICE lines, printed from 0 up. dsctl corex.debug changes it at run time.',
  },
  { name: 'log_stderror', type: 'str', default: 'no', text: 'yes logs to stderr (as -E); no logs to syslog.' },
  {
    name: 'log_facility',
    type: 'str',
    default: 'LOG_DAEMON',
    text: 'Syslog facility (LOG_DAEMON, LOG_LOCAL0 … LOG_LOCAL7, …).',
  },
  { name: 'log_name', type: 'str', default: 'dsd', text: 'Syslog APP-NAME of every message.' },
  {
    name: 'fork',
    type: 'str',
    default: 'yes',
    text: "Accepted and ignored (Kamailio's fork=no runs one process in the foreground): dsd stays in the foreground with -D or -DD, and runs children= (or -n) SIP workers.",
  },
  {
    name: 'children',
    type: 'int',
    default: '1',
    text: 'SIP worker processes (dsd -n overrides it); with more than one, one worker reads the sockets and places each call.',
  },
  {
    name: 'children_pack',
    type: 'int',
    default: '90',
    text: 'dsd only: per cent of busy time under which the reading worker keeps new calls itself; above it hands a growing share to the other workers by Call-ID hash; 0 spreads every call by hash.',
  },
  {
    name: 'maxbuffer',
    type: 'int',
    default: '4194304',
    text: "Bytes a UDP socket's receive buffer is raised to at most, probed as Kamailio does (doubling, then 2 KB steps, never lowered; Linux holds twice the figure). Kamailio's default is 262144: dsd reads with one process, which a larger buffer lets ride out a stall without dropping; a smaller one drops sooner and leaves the rest to the senders' retransmissions, which suits one process held above its capacity for long. dsd -b overrides it.",
  },
  { name: 'disable_tcp', type: 'str', default: 'no', text: 'yes disables TCP listeners.' },
  {
    name: 'alias',
    type: 'str',
    default: '-',
    text: 'Another host name (or host:port) that means this proxy, for uri == myself.',
  },
  { name: 'auto_aliases', type: 'str', default: 'yes', text: 'Add listen addresses to the aliases.' },
  {
    name: 'server_header, user_agent_header',
    type: 'str',
    default: '-',
    text: 'The whole header line for local replies / locally generated requests, as in Kamailio: server_header="Server: edge-1" sends exactly `Server: edge-1`. server_signature=no drops both.',
  },
  { name: 'mpath', type: 'str', default: '-', text: 'Accepted for compatibility (modules are built in).' },
];

export interface ModuleDoc {
  readonly name: string;
  readonly text: string;
  readonly params: readonly ParamDoc[];
}

export const MODULES: readonly ModuleDoc[] = [
  {
    name: 'dispatcher',
    text: "Load balancing over destination sets, as Kamailio's dispatcher module (5.6 semantics). Only the list file is read (db_url is accepted and ignored unless a database backend is configured).",
    params: [
      {
        name: 'list_file',
        type: 'str',
        default: 'dispatcher.list',
        text: 'Destination list file, relative to the configuration file directory.',
      },
      {
        name: 'flags',
        type: 'int',
        default: '0',
        text: 'Bit 1: hash only the user part of URIs. Bit 2: failover support (needed by ds_next_dst, ds_mark_dst).',
      },
      { name: 'force_dst', type: 'int', default: '1', text: '0 makes a selection fail when $du is already set.' },
      {
        name: 'use_default',
        type: 'int',
        default: '0',
        text: '1: the last destination of a set is used only when all others are down.',
      },
      { name: 'xavp_dst', type: 'str', default: '_dsdst_', text: 'XAVP holding the selected destinations.' },
      {
        name: 'xavp_dst_mode',
        type: 'int',
        default: '0',
        text: 'Bit 1 leaves out attrs; 2 adds socket; 4 adds sockname.',
      },
      { name: 'xavp_ctx', type: 'str', default: '_dsctx_', text: 'Context XAVP (field cnt).' },
      { name: 'xavp_ctx_mode', type: 'int', default: '0', text: 'Bit 1 leaves out cnt.' },
      { name: 'hash_pvar', type: 'str', default: '-', text: 'Format string hashed by algorithm 7.' },
      {
        name: 'setid_pvname',
        type: 'str',
        default: '-',
        text: 'Variable receiving the matched set id of ds_is_from_list().',
      },
      {
        name: 'attrs_pvname',
        type: 'str',
        default: '-',
        text: "Variable receiving the matched destination's attributes.",
      },
      { name: 'ds_ping_method', type: 'str', default: 'OPTIONS', text: 'Keepalive request method.' },
      { name: 'ds_ping_from', type: 'str', default: 'sip:dispatcher@localhost', text: 'Keepalive From URI.' },
      { name: 'ds_ping_interval', type: 'int', default: '0', text: 'Seconds between keepalives; 0 turns them off.' },
      {
        name: 'ds_ping_reply_codes',
        type: 'str',
        default: '""',
        text: 'Further replies that count as alive: class=N;code=NNN;…',
      },
      {
        name: 'ds_probing_mode',
        type: 'int',
        default: '0',
        text: '0 ping destinations with the P flag (dropped at the first reply); 1 ping all; 2 ping only inactive destinations with P; 3 like 0, but P is kept.',
      },
      {
        name: 'ds_probing_threshold',
        type: 'int',
        default: '1',
        text: 'Failed keepalives before a trying destination becomes inactive.',
      },
      {
        name: 'ds_inactive_threshold',
        type: 'int',
        default: '1',
        text: 'Successful keepalives before an inactive destination becomes active.',
      },
      {
        name: 'ds_ping_latency_stats',
        type: 'int',
        default: '0',
        text: '1 measures keepalive latency (LATENCY in dispatcher.list).',
      },
      {
        name: 'ds_latency_estimator_alpha',
        type: 'int',
        default: '100',
        text: 'EWMA weight ×1000 of the latency estimate (1..999).',
      },
      {
        name: 'ds_hash_size',
        type: 'int',
        default: '0',
        text: 'Call-load table of 2^N slots; > 0 enables algorithm 10 and RUNTIME in dispatcher.list.',
      },
      {
        name: 'ds_hash_expire',
        type: 'int',
        default: '7200',
        text: 'Seconds after which a call-load entry is dropped.',
      },
      {
        name: 'ds_hash_initexpire',
        type: 'int',
        default: '7200',
        text: 'Seconds after which an unconfirmed call-load entry is dropped.',
      },
      { name: 'ds_hash_check_interval', type: 'int', default: '30', text: 'Seconds between call-load expiry runs.' },
      {
        name: 'ds_default_socket',
        type: 'str',
        default: '-',
        text: 'proto:ip:port send socket for destinations that have none.',
      },
      {
        name: 'ds_default_sockname',
        type: 'str',
        default: '-',
        text: 'Send socket by name; wins over ds_default_socket.',
      },
      { name: 'outbound_proxy', type: 'str', default: '-', text: 'Outbound proxy for keepalives.' },
      { name: 'ds_attrs_none', type: 'int', default: '0', text: '1 gives destinations without attributes none=yes.' },
      {
        name: 'ds_load_mode',
        type: 'int',
        default: '0',
        text: '1: one bad line fails the whole load (the old list stays); 0: it is skipped with a warning.',
      },
      {
        name: 'ds_reload_allow_empty',
        type: 'int',
        default: '0',
        text: 'dsd: 1 lets a reload swap in a list with no usable destination; by default such a reload (an empty file, only comments, every line bad, an empty table) is refused and the running set stays.',
      },
      {
        name: 'reload_delta',
        type: 'int',
        default: '5',
        text: 'Minimum seconds between reload/add/remove; sooner ones fail with "Ongoing reload".',
      },
      {
        name: 'ds_dns_mode',
        type: 'int',
        default: '1',
        text: 'Bit 1 resolves at load; 2 on every ds_is_from_list; 4 at load and on a timer; 8 uses SRV/NAPTR.',
      },
      { name: 'ds_dns_interval', type: 'int', default: '600', text: 'Seconds between DNS refreshes (ds_dns_mode 4).' },
      {
        name: 'ds_dns_ttl',
        type: 'int',
        default: '0',
        text: "Seconds the dispatcher's DNS answers are cached, in place of the records' TTLs (Kamailio's dns_set_local_ttl); 0 keeps the records' TTLs. With ds_dns_mode 4 (or 2) a changed record is seen within ds_dns_interval + ds_dns_ttl.",
      },
    ],
  },
  {
    name: 'tm',
    text: 'Stateful transactions (RFC 3261 section 17).',
    params: [
      {
        name: 'fr_timer',
        type: 'int',
        default: '30000',
        text: 'Milliseconds to wait for a final reply (non-INVITE) or any reply (INVITE) before a branch times out (408).',
      },
      {
        name: 'fr_inv_timer',
        type: 'int',
        default: '120000',
        text: 'Milliseconds to wait for a final reply to an INVITE after a provisional one.',
      },
      {
        name: 'max_transactions',
        type: 'int',
        default: '20000',
        text: 'dsd: transactions in flight above which a new request is answered 503 with Retry-After (0: no bound).',
      },
      {
        name: 'max_transaction_bytes',
        type: 'int',
        default: '134217728',
        text: 'dsd: bytes of requests held by transactions in flight above which a new request is answered 503 (0: no bound).',
      },
      {
        name: 'max_transactions_per_source',
        type: 'int',
        default: '0',
        text: 'dsd: transactions in flight one source IP may hold; above it that source gets 503 (0: no bound).',
      },
      {
        name: 'busy_retry_after',
        type: 'int',
        default: '5',
        text: 'dsd: the Retry-After seconds of those 503 replies.',
      },
      {
        name: 'max_queue_wait',
        type: 'int',
        default: '200',
        text: 'dsd: milliseconds a new request (no To tag, not ACK or CANCEL) may have waited in its UDP socket\'s receive queue; past it a share of them, rising while they keep coming late (all of them past twice the bound), is answered 503 with Retry-After instead of being routed, so a reader that fell behind drains its queue before callers retransmit (T1) and the retransmissions pile up behind the originals. dsd measures the wait by sending itself a 20-byte datagram every 25 ms while traffic flows; the log says when shedding starts and ends; dsd_sip_requests_shed_total{reason="queue_wait"} counts it and dsd_udp_queue_wait_seconds shows the wait. 0: no bound (every request is routed, however late).',
      },
    ],
  },
  {
    name: 'pike',
    text: "Flood detection per source address, as Kamailio's pike: pike_check_req() and pike_check_ip(ip) return false for a source above the density; pike.top lists the addresses.",
    params: [
      { name: 'sampling_time_unit', type: 'int', default: '2', text: 'Seconds of one sampling unit.' },
      {
        name: 'reqs_density_per_unit',
        type: 'int',
        default: '30',
        text: 'Requests per unit from one address above which it is blocked.',
      },
      {
        name: 'remove_latency',
        type: 'int',
        default: '120',
        text: 'Seconds an address is kept after its last request.',
      },
      {
        name: 'pike_log_level',
        type: 'int',
        default: '0',
        text: 'Log level of the BLOCKing/UNBLOCKing lines (Kamailio L_* number).',
      },
    ],
  },
  {
    name: 'tls',
    text: "SIP over TLS (with enable_tls=yes and listen=tls:IP:PORT). Profiles come from a file in Kamailio's tls.cfg format ([server:default], [client:default], [server:IP:PORT], [client:IP:PORT]; method, certificate, private_key, ca_list, verify_certificate, require_certificate, server_name, verify_depth, cipher_list); the other parameters are the defaults every profile starts from. A connection counts against tcp_max_connections and tcp_accept_iplimit from its accept, handshake included; the core parameter tls_handshake_timeout (seconds, default 10) drops a handshake not finished in time, logged with the peer.",
    params: [
      {
        name: 'config',
        type: 'str',
        default: '-',
        text: 'Path of the tls.cfg profile file (relative to the cfg file); tls.reload reads it again.',
      },
      {
        name: 'tls_method',
        type: 'str',
        default: 'TLSv1.2+',
        text: 'TLS versions: TLSv1.2 (exactly), TLSv1.2+ (and later), SSLv23 (any).',
      },
      {
        name: 'certificate',
        type: 'str',
        default: '-',
        text: 'PEM certificate (chain) of the server, and the client certificate when set in a client profile.',
      },
      { name: 'private_key', type: 'str', default: '-', text: 'PEM private key of the certificate.' },
      { name: 'ca_list', type: 'str', default: '-', text: 'PEM file of trusted CAs for verifying the peer.' },
      {
        name: 'verify_certificate',
        type: 'int',
        default: '0',
        text: '1 verifies the peer certificate against ca_list (as Kamailio, off by default: set it in [client:default] for carriers).',
      },
      {
        name: 'require_certificate',
        type: 'int',
        default: '0',
        text: 'Server side: 1 refuses clients without a valid certificate.',
      },
      {
        name: 'verify_depth',
        type: 'int',
        default: '9',
        text: 'Longest accepted certificate chain below the trusted CA.',
      },
      { name: 'connection_timeout', type: 'int', default: '600', text: 'Seconds an idle TLS connection stays open.' },
    ],
  },
  {
    name: 'xhttp',
    text: "HTTP on the TCP and TLS listen sockets, as Kamailio's xhttp: a connection whose first bytes are an HTTP request runs event_route[xhttp:request] for every request on it (keep-alive; framed by Content-Length, no chunked bodies) with $rm the method, $hu the URL, $hdr(...) the headers, $cl/$rb the body and $si/$sp the client; xhttp_reply(code, reason, content-type, body) answers with Kamailio's reply. A request the route does not answer gets no reply, as with Kamailio; \"Connection: close\" and HTTP/1.0 requests end the connection after their reply (Kamailio keeps it open). Kamailio's replies carry a stray Sia: header (the fake Via it builds); dsd's do not.",
    params: [],
  },
  {
    name: 'websocket',
    text: 'SIP over WebSocket (RFC 7118) with xhttp: ws_handle_handshake() in event_route[xhttp:request] checks the upgrade and answers as Kamailio (101, 426, 400; a refused upgrade closes the connection); then one SIP message per text frame, ws on TCP and wss on TLS listen sockets. ws.dump and ws.close over the control socket.',
    params: [
      {
        name: 'keepalive_mechanism',
        type: 'int',
        default: '1',
        text: '0 none, 1 a Ping to idle connections (closed when no Pong echoing the ping data comes within keepalive_timeout), 2 an unsolicited Pong, 3 connection check only (nothing sent).',
      },
      {
        name: 'ping_application_data',
        type: 'str',
        default: 'the server signature',
        text: 'Payload of keepalive Pings and Pongs (1 to 125 bytes).',
      },
      { name: 'keepalive_timeout', type: 'int', default: '180', text: 'Seconds idle before a keepalive is sent.' },
      { name: 'keepalive_interval', type: 'int', default: '1', text: 'Seconds between looks at idle connections.' },
      {
        name: 'cors_mode',
        type: 'int',
        default: '0',
        text: '0 none, 1 Access-Control-Allow-Origin: *, 2 the Origin echoed.',
      },
    ],
  },
  {
    name: 'acc',
    text: "Accounting as Kamailio's acc: a transaction created while log_flag/db_flag (or a missed-call flag) is set is accounted when its reply goes upstream: 2xx always, >= 300 only with failed_transaction_flag set (and the code not in failed_filter), 1xx only with early_media and a body. One log line per record, exactly Kamailio's: `ACC: transaction answered: timestamp=…;method=…;` then from_tag, to_tag, call_id, code, reason and the extras, each as `;name=value` (`ACC: call missed:` for a failed INVITE with a missed-call flag, reported once). A reply generated locally (timeout, t_reply) is recorded with the standard reason text of its code, as Kamailio does. DB accounting inserts the same values into Kamailio's acc / missed_calls tables (dsd db init creates them, and the db_extra columns). acc_log_request(comment), acc_db_request(comment, table) and acc_request(comment, table) account the current request at once. Not implemented (refused when set): report_ack, cdr_*, multi_leg_info, detect_direction, time_mode other than 0, db_insert_mode other than 0.",
    params: [
      {
        name: 'log_flag, log_missed_flag',
        type: 'int',
        default: '-1',
        text: 'Message flag that turns on log accounting / missed-call logging (-1: off).',
      },
      {
        name: 'failed_transaction_flag',
        type: 'int',
        default: '-1',
        text: 'Message flag that makes replies >= 300 accounted too.',
      },
      {
        name: 'failed_filter',
        type: 'str',
        default: '-',
        text: 'Comma-separated codes never accounted as failed (e.g. "404,407").',
      },
      {
        name: 'log_extra, db_extra',
        type: 'str',
        default: '-',
        text: 'name=$pv;… pairs appended to each record, read from the request with the R-URI of the branch whose reply it is; $null is empty (NULL in the DB with acc_extra_nullable=1).',
      },
      { name: 'log_level', type: 'int', default: '1 (notice)', text: 'Log level of the ACC lines.' },
      {
        name: 'log_facility',
        type: 'str',
        default: 'LOG_DAEMON',
        text: 'Syslog facility name; checked, recorded for compatibility (dsd logs to stderr/stdout).',
      },
      {
        name: 'db_url',
        type: 'str',
        default: '-',
        text: 'sqlite:///…, postgres://…, mysql://… (with the matching loadmodule db_*); connected at start.',
      },
      {
        name: 'db_flag, db_missed_flag',
        type: 'int',
        default: '-1',
        text: 'Message flag that turns on DB accounting / missed-call rows.',
      },
      { name: 'db_table_acc, db_table_missed_calls', type: 'str', default: 'acc, missed_calls', text: 'Table names.' },
      {
        name: 'acc_*_column',
        type: 'str',
        default: "Kamailio's",
        text: 'Column names of the core attributes (method, from_tag, to_tag, callid, sip_code, sip_reason, time).',
      },
      {
        name: 'early_media, report_cancels, reason_from_hf, acc_extra_nullable',
        type: 'int',
        default: '0',
        text: 'As in Kamailio.',
      },
    ],
  },
  {
    name: 'ctl',
    text: "The control socket. It speaks Kamailio's binrpc, so the real kamcmd works on it (kamcmd -s unix:/path dispatcher.list prints what it prints against Kamailio), and JSON-RPC 2.0 lines for dsctl(8); the first byte of a connection tells them apart.",
    params: [
      {
        name: 'binrpc',
        type: 'str',
        default: '/run/dsd/dsd_ctl',
        text: 'unix:/path of the control socket (binrpc for kamcmd and JSON-RPC for dsctl). Repeatable, as in Kamailio: further tcp:host[:port], udp:host[:port] (port 2049 by default), unixd:/path or unix:/path lines serve binrpc only. Without a unix one: $DSD_CTL, /run/dsd/dsd_ctl when /run/dsd exists or dsd runs as root, $XDG_RUNTIME_DIR/dsd_ctl, or a dsd-UID directory in the temporary directory.',
      },
      {
        name: 'mode',
        type: 'int',
        default: '0660',
        text: 'Permissions of the socket files, the control socket and every unixs:/unixd: binrpc socket (an int, or an octal string such as "0600").',
      },
      {
        name: 'user',
        type: 'str',
        default: '-',
        text: 'Owner of the socket files: a user name or uid (needs root or CAP_CHOWN).',
      },
      {
        name: 'group',
        type: 'str',
        default: '-',
        text: 'Group of the socket files: a group name or gid; with mode 0660 its members may use dsctl.',
      },
      {
        name: 'idle_timeout',
        type: 'int',
        default: '120',
        text: "dsd: seconds a connection may stay silent before it is closed (Kamailio's fixed 120); 0 never closes it.",
      },
      {
        name: 'max_connections',
        type: 'int',
        default: '128',
        text: "dsd: connections served at once (Kamailio's fixed 128); more are closed at once. A binrpc packet over 64 KiB or a JSON line over 1 MiB closes its connection.",
      },
    ],
  },
  {
    name: 'jsonrpcs',
    text: "The control socket's methods over Kamailio's jsonrpcs transports, so kamctl rpc (FIFO) and kamcli (datagram socket) work as against Kamailio: one JSON-RPC 2.0 document per request, the reply printed as Kamailio prints it. The HTTP transport (xhttp) is not implemented.",
    params: [
      {
        name: 'transport',
        type: 'int',
        default: '6',
        text: 'Bit mask: 2 the FIFO, 4 the datagram socket (0: both). 1 (HTTP) is not implemented.',
      },
      {
        name: 'fifo_name',
        type: 'str',
        default: 'kamailio_rpc.fifo',
        text: 'The FIFO; a name without a path is created in the runtime directory (/run/kamailio, or dsd -Y DIR). "" turns the FIFO off.',
      },
      { name: 'fifo_mode', type: 'int', default: '0660', text: 'Permissions of the FIFO.' },
      {
        name: 'fifo_user, fifo_group',
        type: 'str',
        default: '-',
        text: 'Owner and group of the FIFO (name or number).',
      },
      {
        name: 'fifo_reply_dir',
        type: 'str',
        default: '/tmp/',
        text: 'Where the reply FIFO named by a request\'s reply_name must be (a bare name: no ".", "/" or "\\").',
      },
      {
        name: 'dgram_socket',
        type: 'str',
        default: 'kamailio_rpc.sock',
        text: 'Unix datagram socket path (relative: in the runtime directory) or udp:host:port; replies go to the sender\'s address. "" turns it off.',
      },
      { name: 'dgram_mode', type: 'int', default: '0660', text: 'Permissions of the Unix datagram socket.' },
      {
        name: 'pretty_format',
        type: 'int',
        default: '1',
        text: '1 prints replies over several lines, tab-indented, as Kamailio; 0 on one line.',
      },
      {
        name: 'max_request_size',
        type: 'int',
        default: '65536',
        text: 'dsd: a FIFO request longer than this many bytes is skipped (logged).',
      },
      {
        name: 'read_timeout',
        type: 'int',
        default: '5000',
        text: 'dsd: milliseconds after which an unfinished FIFO request is dropped, so the next writer is not glued onto it.',
      },
    ],
  },
];

export const OTHER_MODULES =
  'sl, rr, maxfwd, textops, siputils, sanity, xlog and pv provide their usual functions; cfgutils provides sleep(s) and usleep(us), which hold the process (a worker of several) as they hold a Kamailio child. loadmodule lines for modules dsd does not implement (db_mysql, acc, kex, corex, …) and their modparams are accepted with one warning each.';

export const ROUTE_BLOCKS: readonly { name: string; text: string }[] = [
  { name: 'request_route { … }', text: 'Runs for every request received.' },
  { name: 'route[NAME] { … }', text: 'A sub-route, called with route(NAME).' },
  {
    name: 'failure_route[NAME] { … }',
    text: 'Armed with t_on_failure("NAME"); runs when all branches failed (negative reply or timeout). ds_next_dst() and t_relay() here try the next destination.',
  },
  {
    name: 'onreply_route[NAME] { … }',
    text: 'Armed with t_on_reply("NAME"); runs for each reply of that transaction before it is relayed. drop keeps a provisional reply from going upstream.',
  },
  {
    name: 'reply_route { … }, onreply_route { … }',
    text: 'The core reply route: runs for every reply received, before the transaction sees it; the reply is the message ($rs, $hdr(…)). drop discards the reply.',
  },
  {
    name: 'branch_route[NAME] { … }',
    text: 'Armed with t_on_branch("NAME"); runs once per outgoing branch before it is sent, with the branch\'s R-URI and $du; header changes apply to that branch only, and drop cancels the branch (all branches dropped: t_relay fails).',
  },
  {
    name: 'event_route[dispatcher:dst-down] { … }, event_route[dispatcher:dst-up] { … }',
    text: 'Run when a destination is marked down or up by keepalives or by the script; $dsv(...) gives the details.',
  },
];

export const CFG_EXAMPLE: readonly string[] = [
  '#!KAMAILIO',
  'debug=2',
  'log_stderror=yes',
  'listen=udp:127.0.0.1:5060',
  '',
  'loadmodule "tm"',
  'loadmodule "sl"',
  'loadmodule "rr"',
  'loadmodule "dispatcher"',
  'loadmodule "ctl"',
  '',
  'modparam("dispatcher", "list_file", "dispatcher.list")',
  'modparam("dispatcher", "flags", 2)',
  'modparam("dispatcher", "ds_ping_interval", 10)',
  'modparam("ctl", "binrpc", "unix:/run/dsd/dsd_ctl")',
  '',
  'request_route {',
  '    if (has_totag() && loose_route()) { t_relay(); exit; }',
  '    record_route();',
  '    if (!ds_select_dst("1", "4")) {',
  '        sl_send_reply("503", "Service Unavailable");',
  '        exit;',
  '    }',
  '    t_on_failure("RTF_DISPATCH");',
  '    t_relay();',
  '}',
  '',
  'failure_route[RTF_DISPATCH] {',
  '    if (t_is_canceled()) exit;',
  '    if (t_check_status("500") || (t_branch_timeout() && !t_branch_replied())) {',
  '        if (ds_next_dst()) { t_on_failure("RTF_DISPATCH"); t_relay(); exit; }',
  '    }',
  '}',
];
