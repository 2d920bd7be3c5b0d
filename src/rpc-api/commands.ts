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
    output: { kind: 'dispatcher-list', doc: 'a struct { NRSETS, RECORDS: [ { SET: { ID, TARGETS: [ { DEST: {…} } ] } } ] }' },
    rpc: true,
    module: 'dispatcher',
    examples: ['dispatcher.list', 'dispatcher.list full', '--table dispatcher.list', 'dispatcher list'],
  },
  {
    name: 'dispatcher.reload',
    summary: 'Reload dispatcher destination sets',
    description:
      'Reads the list file again and swaps the new list in; runtime states are lost. Fails with "Ongoing reload" ' +
      'when called again within reload_delta seconds.',
    params: [],
    aliases: [],
    output: { kind: 'string', doc: 'the string "Ok. Dispatcher successfully reloaded."' },
    rpc: true,
    module: 'dispatcher',
    examples: ['dispatcher.reload'],
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
    rpc: true,
    persist: true,
    module: 'dispatcher',
    examples: ['dispatcher.set_state ip 2 sip:10.0.0.2:5060', 'dispatcher.set_state a 3 all', 'dispatcher.set_state --persist d 1 sip:10.0.0.3'],
  },
  {
    name: 'dispatcher.set_duid_state',
    summary: 'Set the state of a destination by duid',
    description: 'Like dispatcher.set_state, but selects the destination by its duid attribute, or every destination with "all".',
    params: [stateParam, groupParam, { name: 'duid', type: 'string', values: ['all'], complete: 'duid', help: 'destination duid attribute, or all' }],
    aliases: [],
    output: { kind: 'string', doc: 'the string "Ok. Dispatcher state updated."' },
    rpc: true,
    module: 'dispatcher',
    examples: ['dispatcher.set_duid_state ip 2 gw1'],
  },
  {
    name: 'dispatcher.ping_active',
    summary: 'Manage setting on/off the pinging (keepalive) of destinations',
    description: 'Without STATE, returns the current keepalive switch; with STATE 0 or 1, turns keepalives off or on and returns old and new values.',
    params: [{ name: 'state', type: 'int', optional: true, values: ['0', '1'], help: '1 turns keepalives on, 0 off' }],
    aliases: [],
    output: { kind: 'struct', doc: 'a struct { OldPingState } or { NewPingState, OldPingState }' },
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
      { name: 'flags', type: 'int', optional: true, default: 0, flag: 'flags', help: 'destination flags (1 inactive, 2 trying, 4 disabled, 8 probing)' },
      { name: 'priority', type: 'int', optional: true, default: 0, flag: 'priority', help: 'priority (higher first)' },
      { name: 'attrs', type: 'string', optional: true, default: '', flag: 'attrs', help: 'attributes, name=value;…' },
    ],
    aliases: ['dispatcher memadd'],
    output: { kind: 'string', doc: 'the string "Ok. Dispatcher destination added."' },
    rpc: true,
    persist: true,
    module: 'dispatcher',
    examples: ['dispatcher.add 1 sip:10.0.0.9:5060', 'dispatcher.add 1 sip:10.0.0.9:5060 8 5 "duid=gw9;weight=20"', 'dispatcher add --persist --flags 8 1 sip:10.0.0.9'],
  },
  {
    name: 'dispatcher.remove',
    summary: 'Remove a destination address from memory',
    description:
      'Removes every destination of set GROUP whose URI is exactly ADDRESS. With --persist the line is also removed from the list file.',
    params: [groupParam, { name: 'address', type: 'string', complete: 'uri', help: 'destination SIP URI' }],
    aliases: ['dispatcher rm', 'dispatcher memrm'],
    output: { kind: 'string', doc: 'the string "Ok. Dispatcher destination removed."' },
    rpc: true,
    persist: true,
    module: 'dispatcher',
    examples: ['dispatcher.remove 1 sip:10.0.0.9:5060', 'dispatcher rm --persist 1 sip:10.0.0.9:5060'],
  },
  {
    name: 'dispatcher.hash',
    summary: 'Compute the hash of the values',
    description: "Computes Kamailio's core hash over VAL1 (and VAL2) and the slot it selects among NSLOTS; slot is 0 when NSLOTS <= 0.",
    params: [
      { name: 'nslots', type: 'int', help: 'number of slots' },
      { name: 'val1', type: 'string', help: 'first value' },
      { name: 'val2', type: 'string', optional: true, help: 'second value' },
    ],
    aliases: [],
    output: { kind: 'struct', int32Keys: ['hashid'], doc: 'a struct { hashid, slot }; kamcmd prints hashid as a signed int' },
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
    output: { kind: 'oclist', doc: 'an array of { group, uri, flags, priority, ocrate, ocidx, ocseq, octime_sec, octime_usec, ocmin, ocmax }' },
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
    name: 'cluster.list',
    summary: 'List the dsd nodes of the cluster',
    description:
      'Every node sharing the PostgreSQL db_url with ds_cluster 1: NAME, ADDRESS, VERSION, LAST_HEARTBEAT (UTC) and STATE ' +
      '(up, or gone once it stopped or missed heartbeats for ds_cluster_gone_after seconds). With "dest", each destination ' +
      'as that node sees it (SET, URI, FLAGS), e.g. to spot that one node cannot reach a gateway.',
    params: [
      { name: 'mode', type: 'string', optional: true, values: ['dest'], help: 'dest adds every destination\'s state per node' },
    ],
    aliases: ['cluster list'],
    output: { kind: 'list', doc: 'an array of { NAME, ADDRESS, VERSION, LAST_HEARTBEAT, STATE [, DESTS: [ { DEST: { SET, URI, FLAGS } } ]] }' },
    rpc: true,
    module: 'dispatcher',
    extension: true,
    examples: ['cluster.list', 'cluster.list dest', '--json cluster.list'],
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
      'worker, passed on), HANDED_IN (received from another worker) and TRANSACTIONS (current).',
    params: [],
    aliases: [],
    output: { kind: 'list', doc: 'an array of { INDEX, PID, READY, REQUESTS, REPLIES, HANDED_OFF, HANDED_IN, TRANSACTIONS }' },
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

/** Commands the daemon answers (everything but dsctl-only ones). */
export function rpcCommands(): CommandSpec[] {
  return COMMANDS.filter((c) => c.rpc);
}
