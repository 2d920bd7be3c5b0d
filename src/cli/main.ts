// dsctl's entry point. Before oclif loads, main() resolves the command spelling itself (kamcmd's
// `dispatcher.list`, kamcli's `dispatcher list`, an unknown dotted name goes to `rpc`),
// moves kamcmd-style leading options (`dsctl -s unix:/x core.ps`) after the command, and
// turns every failure into one stderr line and a distinct exit status (see errors.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMANDS, aliasSpellings, findCommand } from '../rpc-api/commands';
import type { CommandSpec } from '../rpc-api/types';
import { DsctlError, ExitCode, UsageError } from './errors';
import { invocation } from './invocation';

/** dist/src/cli → repository (package) root. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * The oclif section dsctl runs with. Passed programmatically so the package.json section is
 * not needed at run time; package.json should carry the same for oclif's own tooling.
 */
export const OCLIF_CONFIG = {
  bin: 'dsctl',
  commands: { strategy: 'explicit', target: './dist/src/cli/commands/index.js', identifier: 'COMMANDS' },
  description: 'Control a running dsd over its JSON-RPC control socket (kamcmd compatible).',
  topicSeparator: ' ',
  helpOptions: { hideAliasesFromRoot: true },
} as const;

const OPTIONS_WITH_VALUE = new Set(['-s', '--socket', '--timeout', '--interval', '--flags', '--priority', '--attrs',
  '--wait', '--ruri', '--from', '--to', '--callid', '--method', '--pv']);

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
    // dsctl, dsctl --help, dsctl --version: oclif answers; anything else lacks a command.
    if (lead.every((a) => a === '--help' || a === '-h' || a === '--version')) return { argv: lead.map((a) => (a === '-h' ? '--help' : a)), kamcliStyle: false };
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
    throw new UsageError(second === undefined ? `${first}: missing subcommand` : `${first}: unknown subcommand "${second}"`, `dsctl ${first} ${verbs.join('|')} …`);
  }
  throw new UsageError(`unknown command "${first}" (dsctl --help lists the commands)`);
}

function packageJson(): Record<string, unknown> {
  const pj = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  return { ...pj, description: OCLIF_CONFIG.description, oclif: OCLIF_CONFIG };
}

function report(err: unknown, stderr: NodeJS.WritableStream): number {
  if (err instanceof DsctlError) {
    stderr.write(err.line() + '\n');
    return err.exitCode;
  }
  const e = err as { message?: string; oclif?: { exit?: number }; code?: string };
  // oclif's own exits (help, version) and parse errors.
  if (e?.oclif?.exit !== undefined && e.code === 'EEXIT') return e.oclif.exit;
  if (e?.oclif) {
    stderr.write(`dsctl: ${String(e.message ?? err).split('\n')[0]}\n`);
    return ExitCode.usage;
  }
  stderr.write(`dsctl: internal error: ${String(e?.message ?? err).split('\n')[0]}\n`);
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
    const routed = route(argv);
    invocation.kamcliStyle = routed.kamcliStyle;
    const oclif = await import('@oclif/core');
    oclif.settings.enableAutoTranspile = false; // run the compiled commands, never ts-node
    await oclif.run(routed.argv, { root: PACKAGE_ROOT, pjson: packageJson() as never });
    await oclif.flush();
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (err) {
    return report(err, process.stderr);
  }
}
