// Runs one dsctl RPC command after oclif has parsed it: build params from the table, call the
// daemon, render the result (kamcmd tree by default, JSON or table on request).
import { findCommand } from '../rpc-api/commands';
import { parseCtlAddress, defaultControlSocketPath, UnsupportedCtlAddressError } from '../rpc-api/socket-path';
import type { RpcParams } from '../rpc-api/protocol';
import type { CommandSpec } from '../rpc-api/types';
import { buildParams, kamcmdWord, usageLine } from './args';
import { callRpc, DEFAULT_TIMEOUT_MS } from './client';
import { RpcCallError, UsageError } from './errors';
import { suggestions } from './suggest';
import { renderKamcmd } from './render/kamcmd';
import { renderTable, tableFor, terminalWidth } from './render/table';
import { isDryRun, isExplain, renderDryRun, renderExplain } from './render/lb';

type OutputMode = 'tree' | 'json' | 'table';

export interface CommonFlags {
  readonly socket?: string;
  readonly json?: boolean;
  readonly table?: boolean;
  readonly tree?: boolean;
  readonly timeout?: string;
}

export interface RunInput {
  readonly spec: CommandSpec;
  readonly words: readonly string[];
  readonly flags: CommonFlags & { readonly persist?: boolean; readonly [name: string]: unknown };
  /** Invoked with kamcli's spelling (`dispatcher list`): tables by default. */
  readonly kamcliStyle: boolean;
  readonly out?: NodeJS.WritableStream & { columns?: number };
}

export function resolveSocket(flag: string | undefined): string {
  try {
    return flag !== undefined ? parseCtlAddress(flag) : defaultControlSocketPath();
  } catch (err) {
    if (err instanceof UnsupportedCtlAddressError) throw new UsageError(err.message);
    throw err;
  }
}

export function resolveTimeout(flag: string | undefined): number {
  if (flag === undefined) return DEFAULT_TIMEOUT_MS;
  const s = Number(flag);
  if (!Number.isFinite(s) || s <= 0)
    throw new UsageError(`--timeout must be a positive number of seconds, got "${flag}"`);
  return Math.round(s * 1000);
}

function outputMode(flags: CommonFlags, kamcliStyle: boolean): OutputMode {
  if (flags.json) return 'json';
  if (flags.table) return 'table';
  if (flags.tree) return 'tree';
  return kamcliStyle ? 'table' : 'tree';
}

function renderResult(spec: CommandSpec, result: unknown, mode: OutputMode, columns?: number): string {
  if (mode === 'json') return JSON.stringify(result ?? null, null, 2) + '\n';
  if (mode === 'table') {
    const t = tableFor(spec.output.kind, result);
    if (t) return renderTable(t, { maxWidth: columns });
  }
  if (isExplain(result)) return renderExplain(result);
  if (isDryRun(result)) return renderDryRun(result);
  return renderKamcmd(result, { int32Keys: spec.output.int32Keys });
}

function paramFlagValues(spec: CommandSpec, flags: RunInput['flags']): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const p of spec.params) {
    if (p.flag) out[p.name] = flags[p.flag] as string | undefined;
    if (p.switch && flags[p.switch] === true) out[p.name] = p.values?.[0];
  }
  return out;
}

export async function runRpcCommand(input: RunInput): Promise<void> {
  const { spec, flags } = input;
  let method = spec.name;
  let params: RpcParams | undefined;
  let renderSpec = spec;
  if (spec.name === 'rpc') {
    const [m, ...rest] = input.words;
    if (!m) throw new UsageError('rpc: missing METHOD', usageLine(spec));
    method = m;
    params = rest.length ? rest.map(kamcmdWord) : undefined;
    renderSpec = findCommand(m) ?? spec;
  } else {
    params = buildParams(spec, {
      words: input.words,
      flagValues: paramFlagValues(spec, flags),
      persist: flags.persist === true,
    });
  }
  const socket = resolveSocket(flags.socket);
  let timeout = resolveTimeout(flags.timeout);
  // --wait SECONDS keeps the call open that long: wait for the daemon's answer beyond it
  if (typeof flags.wait === 'string' && /^\d+$/.test(flags.wait))
    timeout = Math.max(timeout, (Number(flags.wait) + 10) * 1000);
  const mode = outputMode(flags, input.kamcliStyle);
  let result: unknown;
  try {
    result = await callRpc(socket, method, params, timeout);
  } catch (err) {
    throw await explainMissingMethod(err, socket, method, spec.name === 'rpc' && !findCommand(method), timeout);
  }
  const out = input.out ?? process.stdout;
  out.write(renderResult(renderSpec, result, mode, terminalWidth(out)));
  // a dry run that would be refused is a failure for scripts, like the refused reload itself
  if (isDryRun(result) && !result.ok) process.exitCode = 1;
}

const isMethodNotFound = (err: unknown): err is RpcCallError =>
  err instanceof RpcCallError && err.code === 500 && /^method not found$/i.test(err.message);

/**
 * "Method Not Found" from the daemon, made useful: a name dsctl does not know either is a typo
 * (usage error, exit 2, with the closest methods the daemon offers); a command of dsctl's table
 * that this daemon lacks says so (exit 1) — cluster.list without clustering, for one.
 */
async function explainMissingMethod(
  err: unknown,
  socket: string,
  method: string,
  unknownName: boolean,
  timeout: number,
): Promise<unknown> {
  if (!isMethodNotFound(err)) return err;
  let offered: string[] = [];
  try {
    const m = await callRpc(socket, 'system.listMethods', undefined, timeout);
    if (Array.isArray(m)) offered = m.map(String);
  } catch {
    /* the typo is still a typo */
  }
  if (unknownName) {
    const near = suggestions(method, offered);
    const hint = near.length
      ? `; did you mean ${near.join(' or ')}?`
      : ' (dsctl system.listMethods lists what this dsd offers)';
    return new UsageError(`unknown command "${method}"${hint}`);
  }
  const why = method.startsWith('cluster.')
    ? 'clustering is off: modparam("dispatcher", "ds_cluster", 1) with a PostgreSQL db_url turns it on'
    : 'its module is not loaded';
  return new RpcCallError(err.code, err.message, `this dsd does not offer ${method}: ${why}`);
}
