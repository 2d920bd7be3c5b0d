// dsctl's entry point. Before oclif loads, main() resolves the command spelling itself (kamcmd's
// `dispatcher.list`, kamcli's `dispatcher list`, an unknown dotted name goes to `rpc`),
// moves kamcmd-style leading options (`dsctl -s unix:/x core.ps`) after the command, and
// turns every failure into one stderr line and a distinct exit status (see errors.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMANDS, aliasSpellings, findCommand } from '../rpc-api/commands';
import type { CommandSpec } from '../rpc-api/types';
import { DsctlError, ExitCode, RpcCallError, UsageError, ConnectionError } from './errors';
import { invocation } from './invocation';
import { parseFast } from './fast-path';
import { suggestions } from './suggest';

/** dist/src/cli → repository (package) root. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * The oclif section dsctl runs with. Passed programmatically so the package.json section is
 * not needed at run time; package.json should carry the same for oclif's own tooling.
 */
export const OCLIF_CONFIG = {
  bin: 'dsctl',
  commands: { strategy: 'explicit', target: './dist/src/cli/commands/index.js', identifier: 'COMMANDS' },
  description: [
    'Control a running dsd over its JSON-RPC control socket (kamcmd compatible).',
    '',
    'GLOBAL OPTIONS (before or after the command)',
    '  -s, --socket=unix:/path  control socket (default $DSD_CTL, /run/dsd/dsd_ctl…)',
    '  --json                   the result as JSON; errors as JSON on stderr',
    '  --table                  a table (default for: dsctl dispatcher list)',
    "  --tree                   kamcmd's tree (default for: dsctl dispatcher.list)",
    '  --timeout=SECONDS        seconds to wait for the answer (default 10)',
    '',
    'EXIT STATUS',
    '  0  success',
    '  1  the daemon answered an error',
    '  2  usage error: unknown command (with a suggestion), bad arguments',
    '  3  no daemon on the socket, no answer in time, or garbage',
    '  4  internal error in dsctl',
  ].join('\n'),
  topicSeparator: ' ',
  helpOptions: { hideAliasesFromRoot: true },
} as const;

const OPTIONS_WITH_VALUE = new Set([
  '-s',
  '--socket',
  '--timeout',
  '--interval',
  '--flags',
  '--priority',
  '--attrs',
  '--wait',
  '--ruri',
  '--from',
  '--to',
  '--callid',
  '--method',
  '--pv',
]);
const GLOBAL_BOOLEANS = new Set(['--json', '--table', '--tree']);

const spellings = new Map<string, CommandSpec>();
for (const c of COMMANDS) for (const s of aliasSpellings(c)) spellings.set(s, c);
const topics = new Set([...spellings.keys()].map((s) => s.split(' ')[0]!));

/**
 * `<id> <rest>` for oclif. A command without parameters gets its stray words reported here:
 * oclif (topic separator " ") would otherwise read them as part of the command name.
 */
function checked(spec: CommandSpec, rest: string[]): string[] {
  if (spec.params.length === 0) {
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i]!;
      if (a === '--') break;
      if (a.startsWith('-')) {
        if (OPTIONS_WITH_VALUE.has(a)) i++;
        continue;
      }
      throw new UsageError(`${spec.name}: unexpected argument "${a}"`, `dsctl ${spec.name}`);
    }
  }
  return [spec.name, ...rest];
}

export interface Routed {
  readonly argv: string[];
  readonly kamcliStyle: boolean;
}

/** Maps what the user typed onto `<command id> <options…> <words…>` for oclif. */
export function route(argv: readonly string[]): Routed {
  const lead: string[] = [];
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '-' && argv[i] !== '--') {
    const a = argv[i++]!;
    lead.push(a);
    if (OPTIONS_WITH_VALUE.has(a) && i < argv.length) lead.push(argv[i++]!);
  }
  const rest = argv.slice(i);
  if (rest.length === 0) {
    // dsctl, dsctl [-s SOCK] --help, dsctl --version: oclif answers; anything else lacks a command.
    const asked = lead.filter(
      (a, k) =>
        !OPTIONS_WITH_VALUE.has(a) &&
        !OPTIONS_WITH_VALUE.has(lead[k - 1] ?? '') &&
        !GLOBAL_BOOLEANS.has(a) &&
        !a.startsWith('--socket=') &&
        !a.startsWith('--timeout='),
    );
    if (asked.length && asked.every((a) => a === '--help' || a === '-h' || a === '--version'))
      return { argv: [asked.includes('--version') ? '--version' : '--help'], kamcliStyle: false };
    if (!asked.length && !lead.length) return { argv: [], kamcliStyle: false };
    throw new UsageError('missing command (dsctl --help lists the commands)');
  }
  const [first, second] = rest as [string, string | undefined];
  if (first === 'help') return route([...rest.slice(1), '--help']);
  const direct = findCommand(first);
  if (direct) return { argv: checked(direct, [...lead, ...rest.slice(1)]), kamcliStyle: false };
  const pair = second !== undefined ? spellings.get(`${first} ${second}`) : undefined;
  if (pair) return { argv: checked(pair, [...lead, ...rest.slice(2)]), kamcliStyle: true };
  // kamcmd calls any method by name: pass unknown dotted names through to the daemon.
  if (first.includes('.')) return { argv: ['rpc', ...lead, ...rest], kamcliStyle: false };
  if (topics.has(first)) {
    const verbs = [...spellings.keys()].filter((s) => s.startsWith(first + ' ')).map((s) => s.slice(first.length + 1));
    throw new UsageError(
      second === undefined ? `${first}: missing subcommand` : `${first}: unknown subcommand "${second}"`,
      `dsctl ${first} ${verbs.join('|')} …`,
    );
  }
  const near = suggestions(first, [...COMMANDS.map((c) => c.name), ...topics]);
  throw new UsageError(
    `unknown command "${first}"${near.length ? `; did you mean ${near.join(' or ')}?` : ' (dsctl --help lists the commands)'}`,
  );
}

function packageJson(): Record<string, unknown> {
  const pj = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  return { ...pj, description: OCLIF_CONFIG.description, oclif: OCLIF_CONFIG };
}

/** Under --json a failure is one JSON object on stderr: { error: { kind, code?, message, data?, exit } }. */
function jsonError(err: unknown, exit: number): string {
  const e = err as { message?: string; data?: unknown };
  const kind =
    err instanceof RpcCallError
      ? 'rpc'
      : err instanceof UsageError
        ? 'usage'
        : err instanceof ConnectionError
          ? 'connection'
          : 'internal';
  const body: Record<string, unknown> = { kind };
  if (err instanceof RpcCallError) body.code = err.code;
  body.message =
    err instanceof UsageError ? err.line().replace(/^dsctl: /, '') : String(e?.message ?? err).split('\n')[0];
  if (err instanceof RpcCallError && err.data !== undefined) body.data = err.data;
  if (err instanceof ConnectionError) body.socket = err.socketPath;
  body.exit = exit;
  return JSON.stringify({ error: body }) + '\n';
}

function report(err: unknown, stderr: NodeJS.WritableStream, json = false): number {
  if (err instanceof DsctlError) {
    stderr.write(json ? jsonError(err, err.exitCode) : err.line() + '\n');
    return err.exitCode;
  }
  const e = err as { message?: string; oclif?: { exit?: number }; code?: string };
  // oclif's own exits (help, version) and parse errors.
  if (e?.oclif?.exit !== undefined && e.code === 'EEXIT') return e.oclif.exit;
  if (e?.oclif) {
    stderr.write(
      json
        ? jsonError(new UsageError(String(e.message ?? err).split('\n')[0]!), ExitCode.usage)
        : `dsctl: ${String(e.message ?? err).split('\n')[0]}\n`,
    );
    return ExitCode.usage;
  }
  stderr.write(
    json ? jsonError(err, ExitCode.internal) : `dsctl: internal error: ${String(e?.message ?? err).split('\n')[0]}\n`,
  );
  if (process.env.DSCTL_DEBUG) stderr.write(String((err as Error)?.stack) + '\n');
  return ExitCode.internal;
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  try {
    if (argv[0] === '__complete') {
      const { runComplete } = await import('./complete');
      await runComplete(argv.slice(1));
      return ExitCode.ok;
    }
    const fast = parseFast(argv);
    if (fast) {
      const { execute } = await import('./execute');
      await execute(fast);
      return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
    }
    const routed = route(argv);
    invocation.kamcliStyle = routed.kamcliStyle;
    const oclif = await import('@oclif/core');
    oclif.settings.enableAutoTranspile = false; // run the compiled commands, never ts-node
    await oclif.run(routed.argv, { root: PACKAGE_ROOT, pjson: packageJson() as never });
    await oclif.flush();
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (err) {
    return report(err, process.stderr, argv.includes('--json'));
  }
}
