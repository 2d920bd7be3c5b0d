// Builds dsctl.8 from the command table, dsd.8 and dsd.cfg.5 from meta.ts.
import { COMMANDS, STATE_VALUES, aliasSpellings } from '../../rpc-api/commands';
import { MAX_REQUEST_BYTES } from '../../rpc-api/protocol';
import type { CommandSpec } from '../../rpc-api/types';
import { ExitCode } from '../errors';
import {
  CFG_EXAMPLE,
  DOC_DATE,
  DSD_FILES,
  DSD_OPTIONS,
  DSD_SIGNALS,
  ENVIRONMENT,
  GLOBAL_PARAMS,
  MODULES,
  OTHER_MODULES,
  ROUTE_BLOCKS,
} from './meta';
import { RoffPage, bold, esc, ital } from './roff';

const MANUAL = 'dsd manual';

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function synopsisOf(spec: CommandSpec): string {
  const parts = spec.params.map((p) => {
    let w = ital(p.name.toUpperCase());
    if (p.values?.length === 1 && !p.optional) w += '|' + bold(p.values[0]!);
    if (p.variadic) w += '...';
    return p.optional ? `[${w}]` : w;
  });
  return [bold(spec.name), ...parts].join(' ');
}

function commandSection(page: RoffPage, spec: CommandSpec): void {
  page.tp(synopsisOf(spec), spec.description ?? spec.summary);
  page.indent();
  for (const p of spec.params) {
    const values = p.values?.length ? ` Values: ${p.values.join(', ')}.` : '';
    const flag = p.flag ? ` Also --${p.flag} ${p.name.toUpperCase()}.` : '';
    const kind = `${p.type === 'int' ? 'An integer' : 'A string'}${p.optional ? ', optional' : ''}`;
    page.tp(ital(p.name.toUpperCase()), `${capitalize(p.help)}. ${kind}.${values}${flag}`);
  }
  if (spec.persist)
    page.tp(
      bold('--persist'),
      'Also write the change to the list file (atomically, comments and order kept), so that a reload or restart keeps it.',
    );
  if (spec.name === 'dispatcher.top') {
    page.tp(
      bold('--once'),
      'Print one frame and exit (with dispatcher.stats, after one interval, so that rates can be computed).',
    );
    page.tp(`${bold('--interval')} ${ital('SECONDS')}`, 'Refresh period, default 1.');
  }
  const aliases = aliasSpellings(spec);
  if (aliases.length) page.p(`Also spelled: ${aliases.map((a) => `dsctl ${a}`).join(', ')}.`);
  if (spec.output.kind !== 'none') page.p(`Result: ${spec.output.doc}${/[.]"?$/.test(spec.output.doc) ? '' : '.'}`);
  if (spec.extension) page.p('Not in Kamailio 5.6 (a dsd extension or a later Kamailio feature).');
  page.outdent();
}

export function dsctlPage(version: string): string {
  const page = new RoffPage('dsctl', 8, DOC_DATE, `dsd ${version}`, MANUAL);
  page.sh('name').raw(`dsctl \\- control a running dsd over its JSON\\-RPC socket`);
  page.sh('synopsis');
  page.raw(
    `${bold('dsctl')} [${bold('-s')} ${ital('unix:/path')}] [${bold('--json')}|${bold('--table')}|${bold('--tree')}] [${bold('--timeout')} ${ital('SECONDS')}] ${ital('COMMAND')} [${ital('ARGUMENTS')}...]`,
  );
  page.raw('.br');
  page.raw(`${bold('dsctl')} ${ital('TOPIC')} ${ital('VERB')} [${ital('ARGUMENTS')}...]`);
  page.raw('.br');
  page.raw(`${bold('dsctl')} ${bold('--help')} | ${bold('--version')} | ${ital('COMMAND')} ${bold('--help')}`);
  page.sh('description');
  page.p(
    'dsctl sends one JSON-RPC 2.0 request to the control socket of a running dsd(8) and prints the result. ' +
      "Command names, arguments and the default output are those of Kamailio's kamcmd(8): dsctl dispatcher.list prints, byte for byte, " +
      'what kamcmd dispatcher.list prints for the same list and state.',
  );
  page.p(
    "kamcli's spelling is accepted too (dsctl dispatcher list, dsctl dispatcher memadd …); it prints tables by default. " +
      'A dotted name that is not listed below is sent to the daemon as is, with kamcmd argument typing (see rpc).',
  );
  page.p(
    'Unlike kamcmd, dsctl exits non-zero on every failure and prints exactly one line on standard error (see EXIT STATUS). ' +
      'Integer parameters are checked before anything is sent and go over the wire as JSON numbers.',
  );
  page.sh('options');
  page.tp(
    `${bold('-s')}, ${bold('--socket')} ${ital('unix:/path')}`,
    'The control socket, as unix:/path (Kamailio syntax) or a plain path. Options may also come before the command, as with kamcmd.',
  );
  page.tp(bold('--json'), 'Print the JSON-RPC result as JSON (indented).');
  page.tp(
    bold('--table'),
    'Print a table: one row per destination (set, URI, flags, priority, weight, latency) for dispatcher.list; name/value rows for structs. Narrowed to the terminal width ($COLUMNS when not a terminal).',
  );
  page.tp(bold('--tree'), "Print kamcmd's tree (the default, except for kamcli spellings).");
  page.tp(`${bold('--timeout')} ${ital('SECONDS')}`, 'How long to wait for the answer, default 10.');
  page.tp(bold('--help'), 'Show the commands, or the help of one command.');
  page.tp(bold('--version'), 'Print the version of dsctl.');
  page.sh('commands');
  for (const spec of COMMANDS) commandSection(page, spec);
  page.sh('states');
  page.p(
    `The STATE of set_state and set_duid_state is read by its first character: 0 or i inactive, 1 or a active, 2 or d disabled, 3 or t trying; ` +
      `a second character p adds probing (not for disabled). Completion offers ${STATE_VALUES.join(', ')}.`,
  );
  page.sh('output');
  page.p(
    'The default output is kamcmd\'s: structs print as "{" ... "}", one NAME: value per line indented with TABs; arrays print like structs; ' +
      'missing strings print as <null string>; integral numbers as integers and other numbers with six decimals; a string result on one line.',
  );
  page.sh('control socket');
  page.p(
    `JSON-RPC 2.0 over a Unix stream socket, one JSON text per line in each direction; requests longer than ${MAX_REQUEST_BYTES} bytes are refused. ` +
      'Without -s the socket is, in order: $DSD_CTL; /run/dsd/dsd_ctl when /run/dsd exists or the user is root; $XDG_RUNTIME_DIR/dsd_ctl; ' +
      'dsd-UID/dsd_ctl in the temporary directory. dsd computes the same default when its configuration names no socket ' +
      '(modparam("ctl", "binrpc", "unix:/path")). The socket is mode 0660: members of its group may use it.',
  );
  page.sh('exit status');
  page.tp(bold(String(ExitCode.ok)), 'Success.');
  page.tp(
    bold(String(ExitCode.rpcError)),
    'The daemon answered with an error, printed as "error: CODE - MESSAGE" (Kamailio\'s messages, e.g. "error: 500 - Ongoing reload").',
  );
  page.tp(
    bold(String(ExitCode.usage)),
    'Usage error: unknown command, missing, extra or mistyped arguments, bad options. The line ends with the expected usage.',
  );
  page.tp(
    bold(String(ExitCode.connection)),
    'The daemon could not be reached (no socket, refused, permission denied), did not answer in time, or sent something that is not JSON-RPC.',
  );
  page.tp(bold(String(ExitCode.internal)), 'An unexpected failure inside dsctl (set DSCTL_DEBUG=1 for a stack trace).');
  page.sh('environment');
  for (const e of ENVIRONMENT) page.tp(bold(e.name), e.text);
  page.tp(bold('COLUMNS'), 'Width for --table output when standard output is not a terminal.');
  page.tp(bold('DSCTL_DEBUG'), 'Print stack traces of internal errors.');
  page.sh('examples');
  page.literal([
    'dsctl dispatcher.list',
    'dsctl -s unix:/run/dsd/dsd_ctl dispatcher.set_state ip 2 sip:10.0.0.2:5060',
    'dsctl dispatcher.set_state a 3 all',
    'dsctl dispatcher.hash 4 bob server.com',
    'dsctl dispatcher add --persist 1 sip:10.0.0.9:5060',
    'dsctl --json dispatcher.list | jq .NRSETS',
    'dsctl dispatcher.top',
  ]);
  page.sh('see also');
  page.raw(`${bold('dsd')}(8), ${bold('dsd.cfg')}(5), ${bold('kamcmd')}(8)`);
  return page.text();
}

export function dsdPage(version: string): string {
  const page = new RoffPage('dsd', 8, DOC_DATE, `dsd ${version}`, MANUAL);
  page.sh('name').raw('dsd \\- SIP load balancer speaking Kamailio\\(aqs dispatcher');
  page.sh('synopsis');
  page.raw(
    `${bold('dsd')} [${bold('-f')} ${ital('FILE')}] [${bold('-c')}] [${bold('-DD')}] [${bold('-E')}] [${bold('-d')}...] [${bold('-P')} ${ital('FILE')}]`,
  );
  page.raw('.br');
  page.raw(`${bold('dsd')} ${bold('-V')}`);
  page.sh('description');
  page.p(
    "dsd is a stateful SIP proxy that spreads calls over sets of destinations exactly as Kamailio's dispatcher module does: " +
      'the same list file, algorithms, hash values, states, keepalives and RPC commands. Its routing script is written in the kamailio.cfg ' +
      'language (see dsd.cfg(5)), so a dispatcher configuration moves over unchanged.',
  );
  page.p('A running dsd is controlled with dsctl(8) over its JSON-RPC control socket.');
  page.sh('options');
  for (const o of DSD_OPTIONS) page.tp(o.arg ? `${bold(o.flag)} ${ital(o.arg)}` : bold(o.flag), o.text);
  page.sh('signals');
  for (const s of DSD_SIGNALS) page.tp(bold(s.name), s.text);
  page.sh('files');
  for (const f of DSD_FILES) page.tp(ital(f.path), f.text);
  page.sh('environment');
  for (const e of ENVIRONMENT) page.tp(bold(e.name), e.text);
  page.sh('exit status');
  page.p(
    '0 after a graceful stop or a successful -c check; 1 when the configuration is invalid or a socket cannot be bound; 2 for a usage error.',
  );
  page.sh('examples');
  page.literal(['dsd -DD -E -f etc/dsd.cfg', 'dsd -c -f /etc/dsd/dsd.cfg', 'kill -HUP $(cat /run/dsd/dsd.pid)']);
  page.sh('see also');
  page.raw(`${bold('dsctl')}(8), ${bold('dsd.cfg')}(5), ${bold('kamailio')}(8)`);
  return page.text();
}

export function cfgPage(version: string): string {
  const page = new RoffPage('dsd.cfg', 5, DOC_DATE, `dsd ${version}`, MANUAL);
  page.sh('name').raw('dsd.cfg \\- dsd routing configuration (kamailio.cfg language)');
  page.sh('description');
  page.p(
    'dsd reads the part of the kamailio.cfg language a load balancer needs. A file has, in order: global parameters, ' +
      'loadmodule and modparam lines, and route blocks. It is compiled once at start; dsd -c checks it and reports every error as file:line:col: message.',
  );
  page.sh('syntax');
  page.ss('Preprocessor');
  page.p(
    'The first line may be #!KAMAILIO or #!DSD. Directives: #!define NAME [value], #!ifdef NAME, #!ifndef NAME, #!else, #!endif, ' +
      '#!trydef NAME [value], #!substdef (simple form); include_file "path" and import_file "path". ' +
      'Comments are # to the end of the line (when not a directive), // to the end of the line, and /* ... */.',
  );
  page.ss('Global parameters');
  page.p('Written name=value, one per line. An unknown name is an error.');
  for (const g of GLOBAL_PARAMS) page.tp(`${bold(g.name)} (${g.type}, default ${esc(g.default)})`, g.text);
  page.ss('Modules');
  page.p(
    'loadmodule "name" (or "name.so") loads a module; modparam("module", "param", value) sets a parameter, with int values unquoted and strings quoted. A value of the wrong type is an error.',
  );
  page.ss('Route blocks');
  for (const r of ROUTE_BLOCKS) page.tp(bold(r.name), r.text);
  page.ss('Statements and expressions');
  page.p(
    'if (...) { ... } else { ... }, while, switch/case/default/break, return [n], exit, drop, route(NAME); ' +
      'operators !, &&, ||, and, or, ==, !=, =~, !~, <, >, <=, >=, + (strings and ints), uri == myself, $null; assignment to writable variables ' +
      '($du, $ru, $var(x), $avp(x), ...). Functions return an int: negative is false, positive true, and 0 stops the script.',
  );
  page.ss('Pseudo-variables');
  page.p(
    "$ru $rU $rd $rp $du $fu $fU $fd $ft $tu $tU $td $tt $ci $cs $rm $rs $rr $si $sp $Ri $Rp $proto $ua $hdr(name) $var(x) $avp(x) $xavp(a=>b) $T_reply_code, and the dispatcher's $dsv(...) in its event routes.",
  );
  page.p(
    'Writable, as in Kamailio: $ru $rU $rd $rp $du, and From/To attributes $fu $fU $fd $fn $tu $tU $td $tn. An assignment to From/To is a lump on the request: the forwarded request carries the new value, the variables go on reading the message as received; $null deletes the user or display name (URIs and domains cannot be deleted).',
  );
  page.sh('module parameters');
  for (const m of MODULES) {
    page.ss(m.name);
    page.p(m.text);
    for (const prm of m.params) page.tp(`${bold(prm.name)} (${prm.type}, default ${esc(prm.default)})`, prm.text);
  }
  page.ss('Other modules');
  page.p(OTHER_MODULES);
  page.sh('dispatcher functions');
  page.p(
    'ds_select_dst(set, alg[, limit]), ds_select_domain(set, alg[, limit]), ds_select(set, alg[, limit]), ds_select_routes(rules, mode[, limit]), ' +
      'ds_next_dst(), ds_next_domain(), ds_set_dst(), ds_set_domain(), ds_mark_dst([state]), ds_is_from_list([group[, mode[, uri]]]), ' +
      'ds_list_exists(group), ds_is_active(group[, uri]), ds_load_update(), ds_load_unset(), ds_reload(), with the return codes of Kamailio 5.6.',
  );
  page.sh('example');
  page.literal(CFG_EXAMPLE);
  page.sh('see also');
  page.raw(`${bold('dsd')}(8), ${bold('dsctl')}(8)`);
  return page.text();
}
