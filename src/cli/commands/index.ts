// The oclif commands, one per command-table entry, built at load time. oclif discovers them
// through the explicit strategy: { "strategy": "explicit", "target":
// "./dist/src/cli/commands/index.js", "identifier": "COMMANDS" }. Command bodies load their
// implementation lazily so that listing commands stays cheap.
import { Args, Command, Flags, type Interfaces } from '@oclif/core';
import { COMMANDS as TABLE, aliasSpellings, usageArgs } from '../../rpc-api/commands';
import type { CommandSpec } from '../../rpc-api/types';
import { UsageError } from '../errors';
import { invocation } from '../invocation';

function commonFlags() {
  return {
    socket: Flags.string({
      char: 's',
      summary: 'control socket: unix:/path or a path (default: $DSD_CTL, /run/dsd/dsd_ctl, …)',
      helpValue: 'unix:/path',
    }),
    json: Flags.boolean({ summary: 'print the JSON-RPC result as JSON', exclusive: ['table', 'tree'] }),
    table: Flags.boolean({
      summary: 'print a table (one row per destination for dispatcher.list)',
      exclusive: ['json', 'tree'],
    }),
    tree: Flags.boolean({
      summary: "print kamcmd's tree (the default for kamcmd-style names)",
      exclusive: ['json', 'table'],
    }),
    timeout: Flags.string({ summary: 'seconds to wait for the answer (default 10)', helpValue: 'SECONDS' }),
  };
}

function specFlags(spec: CommandSpec): Interfaces.FlagInput {
  const f: Interfaces.FlagInput = {};
  if (spec.persist)
    f.persist = Flags.boolean({ summary: 'also write the change to the list file (kept across reload and restart)' });
  for (const p of spec.params)
    if (p.flag)
      f[p.flag] = Flags.string({ summary: `${p.name.toUpperCase()}: ${p.help}`, helpValue: p.name.toUpperCase() });
  for (const p of spec.params) if (p.switch) f[p.switch] = Flags.boolean({ summary: p.help });
  if (spec.name === 'dispatcher.top') {
    f.once = Flags.boolean({ summary: 'print one frame and exit' });
    f.interval = Flags.string({ summary: 'seconds between refreshes (default 1)', helpValue: 'SECONDS' });
  }
  return f;
}

function specArgs(spec: CommandSpec) {
  const a: Record<string, ReturnType<typeof Args.string>> = {};
  for (const p of spec.params) {
    if (p.variadic) continue;
    a[p.name] = Args.string({
      required: !p.optional,
      description: p.help + (p.values ? ` (${p.values.join(', ')})` : ''),
    });
  }
  return a;
}

/** oclif's parse failure as one usage line. */
function usageFromParse(spec: CommandSpec, err: unknown): UsageError {
  // oclif's parser errors are not exported as classes; tell them apart by their fields.
  const e = err as { message?: string; args?: unknown[]; flags?: unknown[] };
  const msg = String(e?.message ?? err);
  let what: string;
  if (msg.startsWith('Missing') && Array.isArray(e.args))
    what = `missing ${e.args.map((a) => String((a as { name?: string }).name).toUpperCase()).join(' ')}`;
  else if (msg.startsWith('Unexpected argument') && Array.isArray(e.args))
    what = `unexpected argument "${String(e.args[0])}"`;
  else if (msg.startsWith('Nonexistent flag') && Array.isArray(e.flags)) what = `unknown option ${String(e.flags[0])}`;
  else {
    // Constraint errors come as a heading plus dimmed (ANSI) reason lines.
    const lines = msg
      // eslint-disable-next-line no-control-regex -- ANSI colour sequences start with ESC
      .replace(/\u001b\[[0-9;]*m/g, '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('See more help'));
    what = lines[0]?.endsWith(':') && lines.length > 1 ? lines.slice(1).join('; ') : (lines[0] ?? 'invalid arguments');
  }
  return new UsageError(`${spec.name}: ${what}`, `dsctl ${spec.name} ${usageArgs(spec)}`.trimEnd());
}

function makeCommand(spec: CommandSpec): typeof Command {
  const cls = class extends Command {
    static override summary = spec.summary;
    static override description = spec.description ?? spec.summary;
    static override examples = spec.examples.map((e) => `<%= config.bin %> ${e}`);
    static override aliases = aliasSpellings(spec).map((s) => s.replace(/ /g, ':'));
    static override usage = `${spec.name} ${usageArgs(spec)}`.trimEnd();
    static override strict = !spec.params.some((p) => p.variadic);
    static override args = specArgs(spec);
    static override flags = { ...commonFlags(), ...specFlags(spec) };

    async run(): Promise<void> {
      let parsed: { flags: Record<string, unknown>; argv: unknown[] };
      try {
        parsed = await this.parse(cls);
      } catch (err) {
        throw usageFromParse(spec, err);
      }
      const { execute } = await import('../execute');
      await execute({ spec, words: parsed.argv.map(String), flags: parsed.flags, kamcliStyle: invocation.kamcliStyle });
    }
  };
  return cls;
}

export const COMMANDS: Record<string, typeof Command> = Object.fromEntries(TABLE.map((s) => [s.name, makeCommand(s)]));
