// dsctl's hot path: the everyday kamcmd-style invocation (`dsctl [-s SOCK] [--json] NAME ARGS…`)
// parsed here without loading @oclif/core (whose load alone costs more than node's start-up).
// Anything this parser does not recognise — --help, --version, an unknown option, an unknown
// bare word — returns null and goes to oclif, which owns help and the full parse.
import { COMMANDS, aliasSpellings, findCommand } from '../rpc-api/commands';
import type { CommandSpec } from '../rpc-api/types';
import type { CommonFlags } from './run-command';

export interface FastInvocation {
  readonly spec: CommandSpec;
  readonly words: string[];
  readonly flags: CommonFlags & { persist?: boolean; once?: boolean; interval?: string; [name: string]: unknown };
  readonly kamcliStyle: boolean;
}

const VALUE_FLAGS: Readonly<Record<string, string>> = { '-s': 'socket', '--socket': 'socket', '--timeout': 'timeout' };
const BOOL_FLAGS: Readonly<Record<string, string>> = { '--json': 'json', '--table': 'table', '--tree': 'tree' };

let spellings: Map<string, CommandSpec> | undefined;
function spelled(words: string): CommandSpec | undefined {
  if (!spellings) {
    spellings = new Map();
    for (const c of COMMANDS) for (const s of aliasSpellings(c)) spellings.set(s, c);
  }
  return spellings.get(words);
}

/** The command a word (or a kamcli pair) names, and how many words it took; null: not ours to say. */
function commandOf(words: readonly string[]): { spec: CommandSpec; used: number; kamcli: boolean } | null {
  const [first, second] = words;
  if (first === undefined) return null;
  const direct = findCommand(first);
  if (direct) return { spec: direct, used: 1, kamcli: false };
  if (second !== undefined && !first.includes('.')) {
    const pair = spelled(`${first} ${second}`);
    if (pair) return { spec: pair, used: 2, kamcli: true };
  }
  // kamcmd calls any method by name; the daemon says whether it exists.
  if (first.includes('.') && /^[A-Za-z_][\w.]*$/.test(first))
    return { spec: findCommand('rpc')!, used: 0, kamcli: false };
  return null;
}

/** Options of one command besides the common ones: name → takes a value. */
function ownOptions(spec: CommandSpec): Map<string, { key: string; value: boolean }> {
  const m = new Map<string, { key: string; value: boolean }>();
  if (spec.persist) m.set('--persist', { key: 'persist', value: false });
  for (const p of spec.params) if (p.flag) m.set(`--${p.flag}`, { key: p.flag, value: true });
  if (spec.name === 'dispatcher.top') {
    m.set('--once', { key: 'once', value: false });
    m.set('--interval', { key: 'interval', value: true });
  }
  return m;
}

export function parseFast(argv: readonly string[]): FastInvocation | null {
  const flags: Record<string, unknown> = {};
  const positional: string[] = [];
  const pending: string[] = []; // options seen before the command is known
  let i = 0;
  let literal = false;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (literal || !a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    if (a === '--') {
      literal = true;
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = name !== a ? a.slice(eq + 1) : undefined;
    const vf = VALUE_FLAGS[name];
    if (vf) {
      const v = inline ?? argv[++i];
      if (v === undefined) return null;
      flags[vf] = v;
      continue;
    }
    if (BOOL_FLAGS[name] && inline === undefined) {
      flags[BOOL_FLAGS[name]] = true;
      continue;
    }
    pending.push(a);
    // A command option's value follows it; keep it with the option until we know the command.
    if (
      inline === undefined &&
      ['--flags', '--priority', '--attrs', '--interval'].includes(name) &&
      i + 1 < argv.length
    )
      pending.push(argv[++i]!);
  }
  const cmd = commandOf(positional);
  if (!cmd) return null;
  const own = ownOptions(cmd.spec);
  for (let k = 0; k < pending.length; k++) {
    const a = pending[k]!;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    const o = own.get(name);
    if (!o) return null;
    if (!o.value) {
      if (eq > 0) return null;
      flags[o.key] = true;
    } else {
      const v = eq > 0 ? a.slice(eq + 1) : pending[++k];
      if (v === undefined) return null;
      flags[o.key] = v;
    }
  }
  // Two output modes at once is a usage error oclif words well.
  if ([flags.json, flags.table, flags.tree].filter(Boolean).length > 1) return null;
  return {
    spec: cmd.spec,
    words: positional.slice(cmd.used),
    flags: flags as FastInvocation['flags'],
    kamcliStyle: cmd.kamcli,
  };
}
