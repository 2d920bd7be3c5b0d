// Runs one parsed dsctl command, whichever parser read it (the fast path or oclif): the live
// table for dispatcher.top, one RPC for everything else.
import type { CommandSpec } from '../rpc-api/types';
import { UsageError } from './errors';
import type { CommonFlags } from './run-command';

export interface ParsedCommand {
  readonly spec: CommandSpec;
  readonly words: readonly string[];
  readonly flags: CommonFlags & {
    readonly persist?: boolean;
    readonly once?: boolean;
    readonly interval?: unknown;
    readonly [name: string]: unknown;
  };
  readonly kamcliStyle: boolean;
}

export async function execute(c: ParsedCommand): Promise<void> {
  const rc = await import('./run-command');
  if (c.spec.name !== 'dispatcher.top') {
    await rc.runRpcCommand({ spec: c.spec, words: c.words, flags: c.flags, kamcliStyle: c.kamcliStyle });
    return;
  }
  if (c.words.length)
    throw new UsageError(`${c.spec.name}: unexpected argument "${c.words[0]}"`, `dsctl ${c.spec.name}`);
  const interval = c.flags.interval === undefined ? 1 : Number(c.flags.interval);
  if (!Number.isFinite(interval) || interval < 0.1)
    throw new UsageError(`--interval must be at least 0.1 seconds, got "${String(c.flags.interval)}"`);
  if (c.flags.json && c.flags.once !== true)
    throw new UsageError(
      'dispatcher.top: --json needs --once (one JSON document)',
      'dsctl dispatcher.top --once --json',
    );
  const { runTop } = await import('./top');
  await runTop({
    socket: rc.resolveSocket(c.flags.socket),
    timeoutMs: rc.resolveTimeout(c.flags.timeout),
    intervalMs: Math.round(interval * 1000),
    once: c.flags.once === true,
    json: c.flags.json === true,
  });
}
