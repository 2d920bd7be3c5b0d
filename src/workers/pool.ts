/**
 * The primary's view of its SIP workers: forks them (node:cluster, so they share the
 * UDP sockets), keeps the table of started and live ones and tells every worker when it
 * changes, relays the dispatcher replica's updates, calls control methods in workers,
 * and restarts a worker that dies (only its own transactions are lost; its share of
 * Call-IDs goes to the others until the new one is ready).
 */
import cluster, { Worker } from 'node:cluster';
import type { Logger } from '../core/log';
import { RpcError } from '../rpc-api/errors';
import {
  PeerEntry,
  PeerTable,
  ReplayCall,
  SHORT_WARMUP_ENV,
  IDLE_WARMUP_ENV,
  StateUpdate,
  ToPrimary,
  ToWorker,
  WORKER_ENV,
  INTERNAL,
} from './ipc';

interface Slot {
  worker: Worker;
  port: number | null;
  ready: boolean;
  startedAt: number;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  index: number;
}

const RPC_TIMEOUT_MS = 30_000;
/** Restarts of one worker closer than this are delayed, so a crash loop does not spin. */
const RESTART_BACKOFF_MS = 1000;

export class WorkerPool {
  private readonly slots = new Map<number, Slot>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopping = false;
  /** Workers 1..N-1 wait for worker 0 to load (start). */
  private restUnforked = false;
  private readyWaiters: Array<() => void> = [];
  private startFailed: ((e: Error) => void) | null = null;
  /** add/remove since the last reload and the corex.debug level, replayed into a worker that starts later. */
  readonly replay: ReplayCall[] = [];
  readonly startedAt = Date.now();
  restarts = 0;

  constructor(
    readonly count: number,
    private readonly log: Logger,
    /** node's flags for every worker (daemon/node-flags.ts); restarted ones too */
    private readonly execArgv: readonly string[] = process.execArgv,
  ) {}

  /**
   * Forks every worker; resolves when all are ready, rejects when one exits first.
   * Worker 0, the first reader, starts alone and the others once it has loaded its engine:
   * forked together, the N node processes loading at once on a small machine held worker 0
   * back by ~200 ms (it was often the last to load), and every call waits for the reader.
   * Its warm-up then runs beside their loading (bench/PROFILE.md, session 16).
   */
  start(): Promise<void> {
    cluster.setupPrimary({ execArgv: [...this.execArgv] });
    cluster.on('exit', (w, code, signal) => this.onExit(w, code, signal));
    this.fork(0);
    this.restUnforked = this.count > 1;
    return new Promise((resolve, reject) => {
      this.startFailed = reject;
      this.readyWaiters.push(() => {
        this.startFailed = null;
        resolve();
      });
    });
  }

  /** The worker that reads the UDP sockets (null: none is ready). */
  private reader: number | null = null;
  private hadReader = false;
  /** The reader took over from one that died. */
  private takeover = false;

  private fork(index: number): void {
    // At the daemon's start worker 0 reads first: the others warm up briefly and leave it
    // the cores (ipc.ts, SHORT_WARMUP_ENV). A restarted worker warms up in full.
    const short = !this.hadReader && index !== 0;
    const first = !this.hadReader && index === 0;
    const worker = cluster.fork({
      [WORKER_ENV]: String(index),
      ...(short ? { [SHORT_WARMUP_ENV]: '1' } : {}),
      ...(first ? { [IDLE_WARMUP_ENV]: '1' } : {}),
    });
    this.slots.set(index, { worker, port: null, ready: false, startedAt: Date.now() });
    worker.on('message', (m: ToPrimary) => this.onMessage(index, worker, m));
  }

  private slotOf(worker: Worker): [number, Slot] | null {
    for (const e of this.slots) if (e[1].worker === worker) return e;
    return null;
  }

  private peers(): PeerTable {
    const peers: PeerEntry[] = [];
    const live: number[] = [];
    for (const [index, s] of this.slots) {
      if (s.port !== null) peers.push({ index, port: s.port });
      if (s.ready) live.push(index);
    }
    this.pickReader(live);
    return { peers, live, reader: this.reader, takeover: this.takeover };
  }

  /**
   * The reader stays the reader while it lives: the calls it kept for itself (placement.ts)
   * are recorded only there. When it dies, the lowest-numbered live worker takes over.
   */
  private pickReader(live: readonly number[]): void {
    if (this.reader !== null && live.includes(this.reader)) return;
    let next: number | null;
    // the first reader is worker 0, the one that warmed up in full (fork)
    if (!this.hadReader) next = live.includes(0) ? 0 : null;
    else next = live.length > 0 ? Math.min(...live) : null;
    if (next !== null) {
      this.takeover = this.hadReader;
      this.hadReader = true;
    }
    this.reader = next;
  }

  private post(s: Slot, m: ToWorker): void {
    if (s.worker.isConnected()) s.worker.send(m);
  }

  private announce(): void {
    const p = this.peers();
    for (const s of this.slots.values()) if (s.port !== null) this.post(s, { t: 'peers', ...p });
  }

  private onMessage(index: number, worker: Worker, m: ToPrimary): void {
    const s = this.slots.get(index);
    if (!s || s.worker !== worker) return;
    switch (m.t) {
      case 'loaded':
        if (index === 0 && this.restUnforked) {
          this.restUnforked = false;
          this.log.info(`worker 0 has loaded: starting workers 1 to ${this.count - 1}`);
          for (let i = 1; i < this.count; i++) this.fork(i);
        }
        break;
      case 'up':
        s.port = m.port;
        void this.init(index, s);
        break;
      case 'ready':
        s.ready = true;
        this.log.info(
          `worker ${index} (pid ${worker.process.pid}) ready${m.warmupMs > 0 ? `, warm-up ${m.warmupMs} ms` : ''}, ` +
            `${Math.round(performance.now())} ms after the daemon's start`,
        );
        this.announce();
        if (this.liveIndexes().length === this.count) {
          const w = this.readyWaiters;
          this.readyWaiters = [];
          for (const f of w) f();
        }
        break;
      case 'rpcres': {
        const p = this.pending.get(m.id);
        if (!p) break;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.result);
        else p.reject(new RpcError(m.fault!.code, m.fault!.message, m.fault!.data));
        break;
      }
      case 'state':
      case 'load':
        for (const [i, o] of this.slots) if (i !== index && o.port !== null) this.post(o, m);
        break;
      default:
        break;
    }
  }

  /** A started worker gets the table, the replay log and (after a restart) the states. */
  private async init(index: number, s: Slot): Promise<void> {
    let snapshot: StateUpdate[] | null = null;
    const from = this.liveIndexes().find((i) => i !== index);
    if (from !== undefined) {
      try {
        snapshot = (await this.call(from, INTERNAL.snapshot, [], false)) as StateUpdate[];
      } catch (e) {
        this.log.warn(`worker ${index}: no state snapshot from worker ${from}: ${(e as Error).message}`);
      }
    }
    this.post(s, { t: 'init', ...this.peers(), replay: [...this.replay], snapshot, startedAt: this.startedAt });
    this.announce();
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    const e = this.slotOf(worker);
    if (!e) return;
    const [index, s] = e;
    this.slots.delete(index);
    for (const [id, p] of this.pending) {
      if (p.index === index) {
        this.pending.delete(id);
        p.reject(RpcError.of('internalError', `worker ${index} exited`));
      }
    }
    if (this.stopping) return;
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    if (this.startFailed) {
      this.startFailed(new Error(`worker ${index} exited during start-up (${how})`));
      this.startFailed = null;
      return;
    }
    this.restarts++;
    this.log.error(
      `worker ${index} (pid ${worker.process.pid}) died (${how}); its transactions are lost; restarting it`,
    );
    this.announce();
    for (const o of this.slots.values()) if (o.port !== null) this.post(o, { t: 'forget', index });
    const age = Date.now() - s.startedAt;
    setTimeout(
      () => {
        if (!this.stopping) this.fork(index);
      },
      age < RESTART_BACKOFF_MS ? RESTART_BACKOFF_MS : 0,
    );
  }

  liveIndexes(): number[] {
    return [...this.slots]
      .filter(([, s]) => s.ready)
      .map(([i]) => i)
      .sort((a, b) => a - b);
  }

  pids(): Array<{ index: number; pid: number }> {
    return [...this.slots]
      .map(([index, s]) => ({ index, pid: s.worker.process.pid ?? 0 }))
      .sort((a, b) => a.index - b.index);
  }

  /** Calls a method in one worker; `follower`: skip the reload_delta guard (already checked). */
  call(index: number, method: string, params: unknown, follower: boolean): Promise<unknown> {
    const s = this.slots.get(index);
    if (!s || !s.worker.isConnected())
      return Promise.reject(RpcError.of('internalError', `worker ${index} is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(RpcError.of('internalError', `worker ${index} did not answer ${method}`));
      }, RPC_TIMEOUT_MS);
      this.pending.set(id, {
        index,
        resolve: (v) => {
          clearTimeout(t);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.post(s, { t: 'rpc', id, method, params, follower });
    });
  }

  /** SIGTERM: every worker drains; resolves when all exited (or after `ms`). */
  async stop(ms: number): Promise<void> {
    this.stopping = true;
    const exits = [...this.slots.values()].map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.worker.isDead()) {
            resolve();
            return;
          }
          s.worker.once('exit', () => resolve());
        }),
    );
    for (const s of this.slots.values()) this.post(s, { t: 'drain' });
    const t = setTimeout(() => {
      for (const s of this.slots.values()) s.worker.process.kill('SIGKILL');
    }, ms);
    await Promise.all(exits);
    clearTimeout(t);
  }

  /** Start-up failed: take every worker down. */
  kill(): void {
    this.stopping = true;
    for (const s of this.slots.values()) s.worker.process.kill('SIGKILL');
  }
}
