/**
 * The primary's control socket: one socket for all workers. Each call runs in the
 * workers and the answer is put together here:
 *  - changes (reload, add, remove, set_state, set_duid_state, ping_active) run in the
 *    first live worker (it checks reload_delta, persists with --persist, and its answer
 *    or fault is the call's), then in every other worker;
 *  - counters (tm.stats, dispatcher.stats) are summed over the live workers;
 *  - core.ps lists the primary and its workers; everything else is read from one worker
 *    (they hold the same dispatcher truth).
 */
import { MethodRegistry } from '../control/registry';
import { findCommand } from '../rpc-api/commands';
import { RpcError } from '../rpc-api/errors';
import type { Logger } from '../core/log';
import type { WorkerPool } from './pool';

const CHANGES = new Set([
  'dispatcher.reload',
  'dispatcher.add',
  'dispatcher.remove',
  'dispatcher.set_state',
  'dispatcher.set_duid_state',
  'dispatcher.ping_active',
  'dispatcher.drain',
  'dispatcher.undrain',
  'dispatcher.drain_duid',
  'dispatcher.undrain_duid',
  'dispatcher.clear_overrides',
  // every worker logs: the level is changed in each
  'corex.debug',
]);
const SUMMED = new Set(['tm.stats', 'dispatcher.stats']);
/** Fields that name a row rather than count something. */
const IDENTITY = new Set(['SET', 'URI', 'ID']);

/** Adds numbers; objects field by field; arrays of dispatcher.stats rows by SET and URI. */
function sumResults(values: readonly unknown[]): unknown {
  const first = values[0];
  if (typeof first === 'number') return values.reduce<number>((a, v) => a + (typeof v === 'number' ? v : 0), 0);
  if (Array.isArray(first)) {
    const byKey = new Map<string, unknown[]>();
    const order: string[] = [];
    for (const arr of values) {
      if (!Array.isArray(arr)) continue;
      arr.forEach((row, i) => {
        const r = row as Record<string, unknown>;
        const key =
          r && typeof r === 'object' && 'SET' in r && 'URI' in r ? `${String(r.SET)}|${String(r.URI)}` : `#${i}`;
        if (!byKey.has(key)) {
          byKey.set(key, []);
          order.push(key);
        }
        byKey.get(key)!.push(row);
      });
    }
    return order.map((k) => sumResults(byKey.get(k)!));
  }
  if (first !== null && typeof first === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(first)) {
      out[k] = IDENTITY.has(k)
        ? (first as Record<string, unknown>)[k]
        : sumResults(values.map((v) => (v as Record<string, unknown> | null)?.[k]));
    }
    return out;
  }
  return first;
}

export class WorkersRegistry extends MethodRegistry {
  /** The workers' method names (binrpc and jsonrpcs ask has() before calling). */
  private names = new Set<string>();

  constructor(
    private readonly pool: WorkerPool,
    private readonly log: Logger,
  ) {
    super();
  }

  /** Learns the method names from a worker (they all have the same). */
  async learn(): Promise<void> {
    const names = await this.pool.call(this.lead(), 'system.listMethods', [], false);
    if (Array.isArray(names)) this.names = new Set(names.map(String));
  }

  override has(name: string): boolean {
    return this.names.has(name);
  }

  override list(): string[] {
    return [...this.names].sort();
  }

  private lead(): number {
    const first = this.pool.liveIndexes()[0];
    if (first === undefined) throw RpcError.of('internalError', 'no SIP worker is running');
    return first;
  }

  /** The workers hold the methods; the command table says which calls change something. */
  protected override changesOf(method: string): 'always' | 'with-params' | undefined {
    return findCommand(method)?.changes;
  }

  /** Audited here, once per call with the caller; the workers' registries do not audit. */
  protected override async execute(method: string, params: unknown): Promise<unknown> {
    if (method === 'core.ps') return this.ps();
    if (method === 'core.workers') return this.workers(params);
    if (SUMMED.has(method)) {
      const live = this.pool.liveIndexes();
      if (live.length === 0) throw RpcError.of('internalError', 'no SIP worker is running');
      return sumResults(await Promise.all(live.map((i) => this.pool.call(i, method, params, false))));
    }
    const lead = this.lead();
    const result = await this.pool.call(lead, method, params, false);
    if (CHANGES.has(method)) {
      await Promise.all(
        this.pool
          .liveIndexes()
          .filter((i) => i !== lead)
          .map((i) =>
            this.pool
              .call(i, method, params, true)
              .catch((e: Error) =>
                this.log.error(`${method} failed in worker ${i} after it succeeded in worker ${lead}: ${e.message}`),
              ),
          ),
      );
      this.record(method, params, result);
    }
    const level = method === 'corex.debug' ? (result as { new?: unknown } | null)?.new : undefined;
    if (typeof level === 'number') this.log.setDebug(level);
    return result;
  }

  /**
   * What a worker started later must replay: add/remove since the last reload (the list
   * file holds the rest), and the last log level set with corex.debug (a reload keeps it).
   */
  private record(method: string, params: unknown, result: unknown): void {
    const r = this.pool.replay;
    const isLevel = (c: { method: string }) => c.method === 'corex.debug';
    if (method === 'dispatcher.reload') r.splice(0, r.length, ...r.filter(isLevel));
    else if (method === 'corex.debug') {
      if (typeof (result as { new?: unknown } | null)?.new !== 'number') return;
      r.splice(0, r.length, ...r.filter((c) => !isLevel(c)), { method, params });
    } else if (method === 'dispatcher.add' || method === 'dispatcher.remove' || method === 'dispatcher.ping_active') {
      r.push({ method, params });
    }
  }

  /** Every worker's row; one still starting (or restarting) shows READY 0. */
  private async workers(params: unknown): Promise<unknown[]> {
    const live = new Set(this.pool.liveIndexes());
    const rows = await Promise.all(
      this.pool.pids().map(async (w) => {
        if (!live.has(w.index)) {
          return {
            INDEX: w.index,
            PID: w.pid,
            READY: 0,
            REQUESTS: 0,
            REPLIES: 0,
            HANDED_OFF: 0,
            HANDED_IN: 0,
            TRANSACTIONS: 0,
            CALLS_KEPT: 0,
            CALLS_BY_HASH: 0,
          };
        }
        const r = await this.pool.call(w.index, 'core.workers', params, false).catch(() => []);
        return (r as unknown[])[0];
      }),
    );
    return rows.filter((r) => r !== undefined);
  }

  private ps(): unknown[] {
    const out: unknown[] = [process.pid, 'main process - attendant'];
    for (const w of this.pool.pids()) out.push(w.pid, `SIP worker child=${w.index}`);
    return out;
  }
}
