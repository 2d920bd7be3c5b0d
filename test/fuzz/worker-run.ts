/**
 * The fuzz loop in a worker thread under a watchdog, so an input that never returns (an
 * endless loop in a parser) is reported instead of hanging the run: before each input the
 * worker publishes it and its start time in shared memory; the main thread checks them and,
 * when one input has run past the limit, terminates the worker (V8 stops even a `while (true)`)
 * and reports that input as a crash of kind 'timeout'. An input that returns late is caught
 * in the worker itself (FuzzOptions.inputTimeoutMs).
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Crash, FuzzResult, FuzzTarget } from './engine';

export interface WorkerJob {
  /** Compiled module exporting the target: `TARGETS` (an array, by name) or the named export. */
  module: string;
  target: string;
  seeds: Buffer[];
  ms: number;
  seed?: number;
  /** Per-input time limit in ms (default 5000: generous for a starved machine). */
  inputTimeoutMs?: number;
}

/** Shared layout: Int32 [length], Float64 [start time of the running input, 0 when none], bytes. */
const HEADER = 16;

interface Done {
  result: FuzzResult;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function revive(r: FuzzResult): FuzzResult {
  const crash: Crash | null = r.crash ? { ...r.crash, input: asBuffer(r.crash.input) } : null;
  return { ...r, corpus: r.corpus.map(asBuffer), added: r.added.map(asBuffer), crash };
}

/** Runs fuzz() on `job.target` in a worker; an input running past the limit ends it as a 'timeout' crash. */
export function fuzzInWorker(job: WorkerJob): Promise<FuzzResult> {
  const limit = job.inputTimeoutMs ?? 5000;
  const capacity = Math.max(1 << 20, ...job.seeds.map((s) => s.length));
  const shared = new SharedArrayBuffer(HEADER + capacity);
  const len = new Int32Array(shared, 0, 1);
  const started = new Float64Array(shared, 8, 1);
  const bytes = new Uint8Array(shared, HEADER);
  const worker = new Worker(__filename, { workerData: { fuzzJob: { ...job, inputTimeoutMs: limit }, shared } });
  return new Promise<FuzzResult>((resolve, reject) => {
    let settled = false;
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      f();
    };
    const watch = setInterval(
      () => {
        const t0 = started[0]!;
        if (t0 === 0 || Date.now() - t0 <= limit) return;
        const input = Buffer.from(bytes.subarray(0, Atomics.load(len, 0)));
        const ran = Date.now() - t0;
        finish(() => {
          void worker.terminate();
          const error = `timeout: one input ran ${ran} ms without returning (limit ${limit} ms); worker terminated`;
          resolve({
            target: job.target,
            execs: -1,
            corpus: [],
            added: [],
            features: 0,
            crash: { target: job.target, input, error, kind: 'timeout' },
          });
        });
      },
      Math.min(100, Math.max(10, limit / 10)),
    );
    worker.on('message', (m: Done) => finish(() => resolve(revive(m.result))));
    worker.on('error', (e) => finish(() => reject(e)));
    worker.on('exit', (code) => finish(() => reject(new Error(`fuzz worker exited (${code}) without a result`))));
  });
}

async function workerMain(): Promise<void> {
  const { fuzzJob: job, shared } = workerData as { fuzzJob: Required<WorkerJob>; shared: SharedArrayBuffer };
  // the engine first: block counters exist only in code compiled after coverage starts
  const { fuzz } = (await import('./engine')) as typeof import('./engine');
  const mod = (await import(job.module)) as Record<string, unknown>;
  const list = Array.isArray(mod.TARGETS) ? (mod.TARGETS as FuzzTarget[]) : [];
  const t = list.find((x) => x.name === job.target) ?? (mod[job.target] as FuzzTarget | undefined);
  if (!t) throw new Error(`no fuzz target ${job.target} in ${job.module}`);
  const len = new Int32Array(shared, 0, 1);
  const started = new Float64Array(shared, 8, 1);
  const bytes = new Uint8Array(shared, HEADER);
  const result = fuzz(t, job.seeds.map(asBuffer), job.ms, {
    seed: job.seed,
    inputTimeoutMs: job.inputTimeoutMs,
    onInput: (input) => {
      const n = Math.min(input.length, bytes.length);
      bytes.set(input.subarray(0, n));
      Atomics.store(len, 0, n);
      started[0] = Date.now();
    },
  });
  started[0] = 0;
  parentPort!.postMessage({ result } satisfies Done);
}

if (!isMainThread && (workerData as { fuzzJob?: unknown } | null)?.fuzzJob) void workerMain();
