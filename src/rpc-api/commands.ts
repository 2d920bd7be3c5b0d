// The one command table. dsctl's commands, the daemon's system.methodHelp and parameter
// checks, the man pages and the shell completions are all derived from it, so they cannot
// drift apart. Names, parameters and result shapes follow Kamailio 5.6.3 (kamcmd/jsonrpcs).
import type { CommandSpec, ParamSpec } from './types';

/** dispatcher state strings: first char 0/i inactive, 1/a active, 2/d disabled, 3/t trying; a second `p` adds probing. */
export const STATE_VALUES: readonly string[] = ['a', 'ap', 'i', 'ip', 'd', 't', 'tp'];

const stateParam: ParamSpec = {
  name: 'state',
  type: 'string',
  values: STATE_VALUES,
  complete: 'state',
  help: 'new state: a(ctive), i(nactive), d(isabled) or t(rying); a second letter p adds probing (ap, ip, tp)',
};
const groupParam: ParamSpec = { name: 'group', type: 'int', complete: 'setid', help: 'set id' };

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'dispatcher.list',
    summary: 'Return the content of dispatcher sets',
    description:
      'Prints every set and its destinations: URI, FLAGS (A active, I inactive, D disabled, T trying; P probing, X not probing), ' +
      'PRIORITY, the ATTRS block when the destination has attributes, LATENCY when ds_ping_latency_stats is on and RUNTIME when ds_hash_size > 0. ' +
      'Sets come in the order Kamailio prints them (AVL post-order), destinations in array order.',
    params: [
      {
        name: 'mode',
        type: 'string',
        optional: true,
        values: ['short', 'full'],
        complete: 'listmode',
        help: 'short leaves out ATTRS; full adds HOST, IPADDR, PORT, PROTOID and DNS times',
      },
    ],
    aliases: ['dispatcher dump'],
    output: {
      kind: 'dispatcher-list',
      doc: 'a struct { NRSETS, RECORDS: [ { SET: { ID, TARGETS: [ { DEST: {…} } ] } } ] }',
    },
    rpc: true,
    module: 'dispatcher',
    examples: ['dispatcher.list', 'dispatcher.list full', '--table dispatcher.list', 'dispatcher list'],
  },
  {
    name: 'dispatcher.reload',
    summary: 'Reload dispatcher destination sets',
    description:
      'Reads the list file (or the database table) again and swaps the new list in. Admin states set with set_state or ' +
      'set_duid_state survive (see dispatcher.overrides); probing results and latency restart for destinations that are new. ' +
      'A list that parses to nothing or has only bad lines is refused and the running set stays (modparam ds_reload_allow_empty 1 lets an empty list through; with ds_load_mode 1 one bad line refuses it). ' +
      'Fails with "Ongoing reload" when called again within reload_delta seconds. With --dry-run (dsd extension) nothing changes: ' +
      'it prints what the reload would add, remove and change, which admin states and drains would carry over, and the warnings ' +
      'and errors with file:line; the exit status is 0 when the reload would be accepted and 1 when it would be refused.',
    params: [
      {
        name: 'mode',
        type: 'string',
        optional: true,
        values: ['dry-run'],
        switch: 'dry-run',
        help: 'dry-run: show what would change, change nothing',
      },
    ],
    aliases: [],
    output: {
      kind: 'string',
      doc: 'the string "Ok. Dispatcher successfully reloaded."; with dry-run a struct { ok, errors, warnings, added, removed, changed, carried, dropped }',
    },
    changes: 'always',
    rpc: true,
    module: 'dispatcher',
    examples: ['dispatcher.reload', 'dispatcher.reload --dry-run'],
  },
  {
    name: 'dispatcher.set_state',
    summary: 'Set the state of a destination by address',
    description:
      'Sets the state of the destination ADDRESS (case-insensitive exact URI match) in set GROUP, or of every ' +
      'destination of the set when ADDRESS is "all". Does not fire dst-up/dst-down events.',
    params: [
      stateParam,
      groupParam,
      { name: 'address', type: 'string', values: ['all'], complete: 'uri', help: 'destination URI, or all' },
    ],
    aliases: [],
    output: { kind: 'string', doc: 'the string "Ok. Dispatcher state updated."' },
    changes: 'always',
    rpc: true,
    persist: true,
    module: 'dispatcher',
    examples: [
      'dispatcher.set_state ip 2 sip:10.0.0.2:5060',
      'dispatcher.set_state a 3 all',
      'dispatcher.set_state --persist d 1 sip:10.0.0.3',
    ],
  },
  {
    name: 'dispatcher.set_duid_state',
    summary: 'Set the state of a destination by duid',
    description:
      'Like dispatcher.set_state, but selects the destination by its duid attribute, or every destination with "all".',
    params: [
      stateParam,
      groupParam,
      { name: 'duid', type: 'string', values: ['all'], complete: 'duid', help: 'destination duid attribute, or all' },
    ],
    aliases: [],
    output: { kind: 'string', doc: 'the string "Ok. Dispatcher state updated."' },
    changes: 'always',
    rpc: true,
    persist: true,
    module: 'dispatcher',
    examples: ['dispatcher.set_duid_state ip 2 gw1', 'dispatcher.set_duid_state --persist d 2 gw1'],
  },
  {
    name: 'dispatcher.overrides',
    summary: 'List the admin states kept across reloads and restarts',
    description:
      'Every admin state set with dispatcher.set_state or set_duid_state that dsd re-applies after a reload or restart: ' +
      'SET, URI or DUID, STATE (the set_state value), SINCE (when it was set) and SOURCE (the RPC that set it, "state file" ' +
      'when restored at start, "cluster" when it came from the cluster table). States set by keepalives or ds_mark_dst are not overrides.',
    params: [],
    aliases: [],
    output: { kind: 'list', doc: 'an array of { SET, URI | DUID, STATE, SINCE, SOURCE }' },
    rpc: true,
    module: 'dispatcher',
    extension: true,
    examples: ['dispatcher.overrides', '--json dispatcher.overrides'],
  },
  {
    name: 'dispatcher.clear_overrides',
    summary: 'Forget admin states: all, those of a set, or one destination',
    description:
      'Without arguments forgets every admin state; with GROUP those of the set; with GROUP and TARGET (a URI or a duid) that one. ' +
      'The destinations keep their current state; the next reload or restart takes their flags from the list again. ' +
      'Clearing nothing that exists is an error (404 Override Not Found).',
    params: [
      { name: 'group', type: 'int', optional: true, complete: 'setid', help: 'set id' },
      { name: 'target', type: 'string', optional: true, complete: 'uri', help: 'destination URI or duid, or all' },
    ],
    aliases: [],
    output: { kind: 'string', doc: 'the string "Ok. N override(s) cleared."' },
    rpc: true,
    changes: 'always',
    module: 'dispatcher',
    extension: true,
    examples: [
      'dispatcher.clear_overrides',
      'dispatcher.clear_overrides 2',
      'dispatcher.clear_overrides 2 sip:10.0.0.7:5060',
    ],
  },
  {
    name: 'dispatcher.ping_active',
    summary: 'Manage setting on/off the pinging (keepalive) of destinations',
    description:
      'Without STATE, returns the current keepalive switch; with STATE 0 or 1, turns keepalives off or on and returns old and new values.',
    params: [{ name: 'state', type: 'int', optional: true, values: ['0', '1'], help: '1 turns keepalives on, 0 off' }],
    aliases: [],
    output: { kind: 'struct', doc: 'a struct { OldPingState } or { NewPingState, OldPingState }' },
    changes: 'with-params',
    rpc: true,
    module: 'dispatcher',
    examples: ['dispatcher.ping_active', 'dispatcher.ping_active 0'],
  },
  {
    name: 'dispatcher.add',
    summary: 'Add a destination address in memory',
    description:
      'Adds ADDRESS to set GROUP in the running list (states, load and latency of the others are kept). ' +
      'With --persist the destination is also written to the list file so that a reload or restart keeps it.',
    params: [
      groupParam,
      { name: 'address', type: 'string', help: 'destination SIP URI' },
      {
        name: 'flags',
        type: 'int',
        optional: true,
        default: 0,
        flag: 'flags',
        help: 'destination flags (1 inactive, 2 trying, 4 disabled, 8 probing)',
      },
      { name: 'priority', type: 'int', optional: true, default: 0, flag: 'priority', help: 'priority (higher first)' },
      { name: 'attrs', type: 'string', optional: true, default: '', flag: 'attrs', help: 'attributes, name=value;…' },
    ],
    aliases: ['dispatcher memadd'],
    output: { kind: 'string', doc: 'the string "Ok. Dispatcher destination added."' },
    changes: 'always',
    rpc: true,
    persist: true,
    module: 'dispatcher',
    examples: [
      'dispatcher.add 1 sip:10.0.0.9:5060',
      'dispatcher.add 1 sip:10.0.0.9:5060 8 5 "duid=gw9;weight=20"',
      'dispatcher add --persist --flags 8 1 sip:10.0.0.9',
    ],
  },
  {
    name: 'dispatcher.remove',
    summary: 'Remove a destination address from memory',
    description:
      'Removes every destination of set GROUP whose URI is exactly ADDRESS. With --persist the line is also removed from the list file.',
    params: [groupParam, { name: 'address', type: 'string', complete: 'uri', help: 'destination SIP URI' }],
    aliases: ['dispatcher rm', 'dispatcher memrm'],
    output: { kind: 'string', doc: 'the string "Ok. Dispatcher destination removed."' },
    changes: 'always',
    rpc: true,
    persist: true,
    module: 'dispatcher',
    examples: ['dispatcher.remove 1 sip:10.0.0.9:5060', 'dispatcher rm --persist 1 sip:10.0.0.9:5060'],
  },
  {
    name: 'dispatcher.hash',
    summary: 'Compute the hash of the values',
    description:
      "Computes Kamailio's core hash over VAL1 (and VAL2) and the slot it selects among NSLOTS; slot is 0 when NSLOTS <= 0.",
    params: [
      { name: 'nslots', type: 'int', help: 'number of slots' },
      { name: 'val1', type: 'string', help: 'first value' },
      { name: 'val2', type: 'string', optional: true, help: 'second value' },
    ],
    aliases: [],
    output: {
      kind: 'struct',
      int32Keys: ['hashid'],
      doc: 'a struct { hashid, slot }; kamcmd prints hashid as a signed int',
    },
    rpc: true,
    module: 'dispatcher',
    examples: ['dispatcher.hash 4 bob server.com'],
  },
  {
    name: 'dispatcher.oclist',
    summary: 'Return the overload control records of a dispatcher group',
    description: 'Lists the overload-control (ocrate) state of every destination of set GROUP (Kamailio 6.0+).',
    params: [groupParam],
    aliases: [],
    output: {
      kind: 'oclist',
      doc: 'an array of { group, uri, flags, priority, ocrate, ocidx, ocseq, octime_sec, octime_usec, ocmin, ocmax }',
    },
    rpc: true,
    module: 'dispatcher',
    extension: true,
    examples: ['dispatcher.oclist 1', 'dispatcher oclist 1'],
  },
  {
    name: 'dispatcher.stats',
    summary: 'Return per-destination call and failover counters',
    description:
      'dsd extension used by dispatcher.top: cumulative counters per destination since start; a reload keeps them for destinations that stay. ' +
      'CALLS counts requests routed to the destination, FAILOVERS the times it was left for the next one.',
    params: [],
    aliases: [],
    output: { kind: 'list', doc: 'an array of { SET, URI, CALLS, FAILOVERS }' },
    rpc: true,
    module: 'dispatcher',
    extension: true,
    examples: ['--json dispatcher.stats'],
  },
  {
    name: 'dispatcher.top',
    summary: 'Show a live table of every destination',
    description:
      'Refreshes a table of every destination (set, URI, state, latency and, when the daemon offers dispatcher.stats, ' +
      'calls and failovers per second) until interrupted with Ctrl-C. --once prints one frame and exits.',
    params: [],
    aliases: [],
    output: { kind: 'none', doc: 'a table, refreshed every --interval seconds' },
    rpc: false,
    module: 'dsctl',
    extension: true,
    examples: ['dispatcher.top', 'dispatcher.top --once', 'dispatcher top --interval 5'],
  },
  {
    name: 'dispatcher.drain',
    summary: 'Drain a destination: no new dialogs, in-dialog requests still reach it',
    description:
      'dsd extension. Selections step over ADDRESS in set GROUP (or every destination with "all") as if it were inactive, for every ' +
      'algorithm, while ACK, re-INVITE and BYE keep following the Record-Route to it and keepalives go on. dispatcher.list shows DRAIN: 1. ' +
      'A reload keeps the drain; with --persist it is saved with the admin states and survives a restart. In a cluster (ds_cluster) ' +
      'it reaches every node and is kept in the dsd_drain table. With --wait SECONDS the command ' +
      'returns once the destination has no active dialogs left (a dialog runs from the 2xx to an INVITE to the BYE, or ds_hash_expire), ' +
      'or fails with "Drain Timeout" (exit status 1) when the time is up.',
    params: [
      groupParam,
      { name: 'address', type: 'string', values: ['all'], complete: 'uri', help: 'destination URI, or all' },
      {
        name: 'wait',
        type: 'int',
        optional: true,
        flag: 'wait',
        help: 'seconds to wait for its active dialogs to end',
      },
    ],
    aliases: [],
    output: { kind: 'string', doc: 'the string "Ok. Dispatcher destination draining."' },
    rpc: true,
    persist: true,
    module: 'dispatcher',
    extension: true,
    examples: [
      'dispatcher.drain 1 sip:10.0.0.2:5060',
      'dispatcher.drain --persist --wait 600 1 sip:10.0.0.2:5060',
      'dispatcher.drain 1 all',
    ],
  },
  {
    name: 'dispatcher.undrain',
    summary: 'End the drain of a destination',
    description:
      'dsd extension. ADDRESS in set GROUP (or all of the set) takes new dialogs again; with ds_slow_start it ramps up.',
    params: [
      groupParam,
      { name: 'address', type: 'string', values: ['all'], complete: 'uri', help: 'destination URI, or all' },
    ],
    aliases: [],
    output: { kind: 'string', doc: 'the string "Ok. Dispatcher destination undrained."' },
    rpc: true,
    persist: true,
    module: 'dispatcher',
    extension: true,
    examples: ['dispatcher.undrain 1 sip:10.0.0.2:5060'],
  },
  {
    name: 'dispatcher.drain_duid',
    summary: 'Drain a destination by duid',
    description:
      'dsd extension. Like dispatcher.drain, selecting the destination by its duid attribute (the drain follows the duid across URI changes).',
    params: [
      groupParam,
      { name: 'duid', type: 'string', values: ['all'], complete: 'duid', help: 'destination duid attribute, or all' },
      {
        name: 'wait',
        type: 'int',
        optional: true,
        flag: 'wait',
        help: 'seconds to wait for its active dialogs to end',
      },
    ],
    aliases: [],
    output: { kind: 'string', doc: 'the string "Ok. Dispatcher destination draining."' },
    rpc: true,
    persist: true,
    module: 'dispatcher',
    extension: true,
    examples: ['dispatcher.drain_duid 1 gw2', 'dispatcher.drain_duid --wait 300 1 gw2'],
  },
  {
    name: 'dispatcher.undrain_duid',
    summary: 'End the drain of a destination by duid',
    description: 'dsd extension. Like dispatcher.undrain, selecting the destination by its duid attribute.',
    params: [
      groupParam,
      { name: 'duid', type: 'string', values: ['all'], complete: 'duid', help: 'destination duid attribute, or all' },
    ],
    aliases: [],
    output: { kind: 'string', doc: 'the string "Ok. Dispatcher destination undrained."' },
    rpc: true,
    persist: true,
    module: 'dispatcher',
    extension: true,
    examples: ['dispatcher.undrain_duid 1 gw2'],
  },
  {
    name: 'dispatcher.explain',
    summary: 'Explain which destination a request would get, and why',
    description:
      'dsd extension. Runs the real selection of algorithm ALG on set GROUP for a synthetic request (INVITE unless --method) built ' +
      'from --ruri, --from, --to and --callid, without sending anything and without moving a round-robin cursor: the next real request ' +
      'with the same headers gets the same pick. Prints the pick, the failover order, the hash input and value where a hash decides, ' +
      'and for every destination why it was skipped (inactive, disabled, draining, over maxload, ejected, probing). --pv NAME=VALUE ' +
      'makes NAME in hash_pvar read VALUE (algorithm 7).',
    params: [
      groupParam,
      { name: 'alg', type: 'int', help: 'algorithm 0..13 (or 64), as in ds_select_dst()' },
      {
        name: 'limit',
        type: 'int',
        optional: true,
        default: 0,
        help: 'most destinations in the failover order (0 = all)',
      },
      {
        name: 'ruri',
        type: 'string',
        optional: true,
        default: '',
        flag: 'ruri',
        help: 'Request-URI (default sip:explain@127.0.0.1)',
      },
      { name: 'from', type: 'string', optional: true, default: '', flag: 'from', help: 'From URI' },
      { name: 'to', type: 'string', optional: true, default: '', flag: 'to', help: 'To URI (default the R-URI)' },
      { name: 'callid', type: 'string', optional: true, default: '', flag: 'callid', help: 'Call-ID' },
      {
        name: 'method',
        type: 'string',
        optional: true,
        default: '',
        flag: 'method',
        help: 'request method (default INVITE)',
      },
      {
        name: 'pv',
        type: 'string',
        optional: true,
        default: '',
        flag: 'pv',
        help: 'NAME=VALUE: the value NAME takes in hash_pvar',
      },
    ],
    aliases: [],
    output: {
      kind: 'explain',
      doc: 'a struct { set, alg, algName, ok, selected, order, branches, hash { input, value, slot }, cursor, destinations [ { uri, flags, skipped, … } ] }',
    },
    rpc: true,
    module: 'dispatcher',
    extension: true,
    examples: [
      'dispatcher.explain 1 4',
      'dispatcher.explain 1 0 --callid abc@host',
      'dispatcher.explain --json 2 1 --from sip:alice@example.com',
    ],
  },
  {
    name: 'cluster.list',
    summary: 'List the dsd nodes of the cluster (offered when ds_cluster is on)',
    description:
      'Every node sharing the PostgreSQL db_url with ds_cluster 1: NAME, ADDRESS, VERSION, LAST_HEARTBEAT (UTC) and STATE ' +
      '(up, or gone once it stopped or missed heartbeats for ds_cluster_gone_after seconds). With "dest", each destination ' +
      'as that node sees it (SET, URI, FLAGS), e.g. to spot that one node cannot reach a gateway.',
    params: [
      {
        name: 'mode',
        type: 'string',
        optional: true,
        values: ['dest'],
        help: "dest adds every destination's state per node",
      },
    ],
    aliases: ['cluster list'],
    output: {
      kind: 'list',
      doc: 'an array of { NAME, ADDRESS, VERSION, LAST_HEARTBEAT, STATE [, DESTS: [ { DEST: { SET, URI, FLAGS } } ]] }',
    },
    rpc: true,
    module: 'dispatcher',
    extension: true,
    examples: ['cluster.list', 'cluster.list dest', '--json cluster.list'],
  },
  {
    name: 'core.echo',
    summary: 'Returns back its parameters.',
    params: [{ name: 'params', type: 'string', optional: true, variadic: true, help: 'values to echo' }],
    aliases: [],
    output: { kind: 'list', doc: 'the parameters, in order, as strings' },
    rpc: true,
    module: 'core',
    examples: ['core.echo hello 42'],
  },
  {
    name: 'core.info',
    summary: 'Verbose info, including version number, compile flags, compiler,repository hash a.s.o.',
    params: [],
    aliases: [],
    output: { kind: 'struct', doc: 'a struct { version, id, compiler, compiled, flags }' },
    rpc: true,
    module: 'core',
    examples: ['core.info'],
  },
  {
    name: 'corex.debug',
    summary: 'Control the global level of debug',
    description:
      "Without LEVEL, returns the current log level (Kamailio's debug number: -1 errors, 0 warnings and notices, " +
      '1 notices, 2 info, 3 debug); with LEVEL, sets it at once and returns the old and the new level. ' +
      'A restart goes back to the debug= of the config.',
    params: [{ name: 'level', type: 'int', optional: true, help: 'new level: -1 .. 3' }],
    aliases: [],
    output: { kind: 'struct', doc: 'a struct { debug } or { old, new }' },
    rpc: true,
    changes: 'with-params',
    module: 'corex',
    examples: ['corex.debug', 'corex.debug 3'],
  },
  {
    name: 'core.version',
    summary: 'Returns the version string of the server.',
    params: [],
    aliases: [],
    output: { kind: 'string', doc: 'a string "dsd VERSION (ARCH/PLATFORM) "' },
    rpc: true,
    module: 'core',
    examples: ['core.version'],
  },
  {
    name: 'core.uptime',
    summary: 'Returns uptime of SIP server.',
    params: [],
    aliases: [],
    output: { kind: 'struct', doc: 'a struct { now, up_since, uptime } with ctime(3) dates and seconds' },
    rpc: true,
    module: 'core',
    examples: ['core.uptime'],
  },
  {
    name: 'core.ps',
    summary: 'Returns the description of running processes.',
    params: [],
    aliases: [],
    output: { kind: 'pairs', doc: 'an array of pid, description, pid, description, …' },
    rpc: true,
    module: 'core',
    examples: ['core.ps', '--table core.ps'],
  },
  {
    name: 'core.workers',
    summary: 'List the SIP workers and what each handled',
    description:
      'dsd extension. One row per SIP worker (children=N or -n N; a single row without workers): INDEX, PID, READY ' +
      '(1 once it takes traffic), REQUESTS and REPLIES it handled, HANDED_OFF (read from the network but owned by another ' +
      'worker, passed on), HANDED_IN (received from another worker), TRANSACTIONS (current), and the new calls it placed ' +
      'while it read the sockets: CALLS_KEPT (kept, its event loop had room: children_pack) and CALLS_BY_HASH (given to ' +
      'the worker their Call-ID hashes to, possibly itself; not counted with children_pack=0; a new call whose ' +
      'Call-ID shares the record of a live one follows it uncounted).',
    params: [],
    aliases: [],
    output: {
      kind: 'list',
      doc: 'an array of { INDEX, PID, READY, REQUESTS, REPLIES, HANDED_OFF, HANDED_IN, TRANSACTIONS, CALLS_KEPT, CALLS_BY_HASH }',
    },
    rpc: true,
    module: 'core',
    extension: true,
    examples: ['core.workers', '--table core.workers'],
  },
  {
    name: 'system.listMethods',
    summary: 'Lists all RPC methods supported by the server.',
    params: [],
    aliases: [],
    output: { kind: 'list', doc: 'an array of method names' },
    rpc: true,
    module: 'core',
    examples: ['system.listMethods'],
  },
  {
    name: 'system.methodHelp',
    summary: 'Print the help string for given method.',
    params: [{ name: 'method', type: 'string', complete: 'method', help: 'RPC method name' }],
    aliases: [],
    output: { kind: 'string', doc: 'the help string' },
    rpc: true,
    module: 'core',
    examples: ['system.methodHelp dispatcher.list'],
  },
  {
    name: 'tm.stats',
    summary: 'Print transaction statistics.',
    params: [],
    aliases: [],
    output: {
      kind: 'struct',
      doc: 'a struct { current, waiting, total, total_local, rpl_received, rpl_generated, rpl_sent, 6xx, 5xx, 4xx, 3xx, 2xx, created, freed, delayed_free }',
    },
    rpc: true,
    module: 'tm',
    examples: ['tm.stats'],
  },
  {
    name: 'pike.top',
    summary: 'Dump parts of the pike table',
    description:
      'Lists the addresses pike is tracking (loadmodule "pike.so"): HOT (the default) those at or above reqs_density_per_unit, ' +
      'ALL every full address. Each row has ip_addr, leaf_hits_prev, leaf_hits_curr, expires (seconds) and status.',
    params: [
      {
        name: 'mode',
        type: 'string',
        optional: true,
        values: ['HOT', 'ALL', 'WARM'],
        help: 'which addresses (default HOT)',
      },
    ],
    aliases: [],
    output: {
      kind: 'struct',
      doc: 'a struct { max_hits, list: [ { ip_addr, leaf_hits_prev, leaf_hits_curr, expires, status } ], number_of_rows }',
    },
    rpc: true,
    module: 'pike',
    examples: ['pike.top', 'pike.top ALL'],
  },
  {
    name: 'tls.reload',
    summary: 'Reload TLS configuration file',
    description:
      'Reads the tls.cfg file (modparam("tls", "config", …)) again; new handshakes use the new profiles, ' +
      'established connections keep theirs. A file that does not load is refused and the running profiles stay.',
    params: [],
    aliases: [],
    output: { kind: 'string', doc: 'the string "Ok. TLS configuration reloaded."' },
    rpc: true,
    module: 'tls',
    examples: ['tls.reload'],
  },
  {
    name: 'tls.list',
    summary: 'List currently open TLS connections',
    params: [],
    aliases: [],
    output: {
      kind: 'list',
      doc: 'one struct per connection { id, dom, sni, timestamp, timeout, src_ip, src_port, dst_ip, dst_port, cipher, ct_wq_size, enc_rd_buf, flags, state }',
    },
    rpc: true,
    module: 'tls',
    examples: ['tls.list'],
  },
  {
    name: 'tls.info',
    summary: 'Returns internal tls related info.',
    params: [],
    aliases: [],
    output: { kind: 'struct', doc: 'a struct { max_connections, opened_connections, clear_text_write_queued_bytes }' },
    rpc: true,
    module: 'tls',
    examples: ['tls.info'],
  },
  {
    name: 'ws.dump',
    summary: 'Details about WebSocket connections',
    description:
      'One line per WebSocket connection, as Kamailio prints them: "ID: ws:CLIENT_IP:PORT -> ws:OUR_IP:PORT ' +
      '(state: OPEN, last used Ns ago, sub-protocol: sip)", and info { wscounter, truncated }.',
    params: [],
    aliases: [],
    output: { kind: 'struct', doc: 'a struct { connections: [ strings ], info: { wscounter, truncated } }' },
    rpc: true,
    module: 'websocket',
    examples: ['ws.dump'],
  },
  {
    name: 'ws.close',
    summary: 'Close a WebSocket connection',
    description: 'Closes the WebSocket connection ID (from ws.dump) with status 1000, Normal closure.',
    params: [{ name: 'id', type: 'int', help: 'connection id, as ws.dump prints it' }],
    aliases: [],
    output: { kind: 'none', doc: 'nothing; "Unknown connection ID" when there is no such connection' },
    rpc: true,
    module: 'websocket',
    examples: ['ws.close 3'],
  },
  {
    name: 'rpc',
    summary: 'Call any RPC method, with kamcmd argument typing',
    description:
      'Calls METHOD with the given parameters. As with kamcmd, a parameter that reads as an integer is sent as a number, ' +
      'as a decimal number as a float, anything else as a string; prefix s: to force a string (s:123).',
    params: [
      { name: 'method', type: 'string', complete: 'method', help: 'RPC method name' },
      { name: 'params', type: 'string', optional: true, variadic: true, help: 'parameters' },
    ],
    aliases: [],
    output: { kind: 'struct', doc: 'whatever the method returns' },
    rpc: false,
    module: 'dsctl',
    examples: ['rpc core.echo s:42 hello'],
  },
];

const byName = new Map<string, CommandSpec>(COMMANDS.map((c) => [c.name, c]));

export function findCommand(name: string): CommandSpec | undefined {
  return byName.get(name);
}

/** All space-separated spellings dsctl accepts besides `name`: `topic verb` plus the table's aliases. */
export function aliasSpellings(spec: CommandSpec): string[] {
  const out: string[] = [];
  const dot = spec.name.indexOf('.');
  if (dot > 0) out.push(`${spec.name.slice(0, dot)} ${spec.name.slice(dot + 1)}`);
  for (const a of spec.aliases) if (!out.includes(a)) out.push(a);
  return out;
}

/** The usage line of a command's positional parameters: `STATE GROUP ADDRESS [FLAGS]…`. */
export function usageArgs(spec: CommandSpec): string {
  return spec.params
    .map((p) => {
      let w = p.name.toUpperCase();
      if (p.values?.length && p.values.length <= 2 && !p.optional) w += '|' + p.values.join('|');
      if (p.variadic) w += '...';
      return p.optional ? `[${w}]` : w;
    })
    .join(' ');
}
