/**
 * Runs a Probe in a worker thread with its own event loop, so the latency it measures is
 * the proxy's, not the time the bench's main thread spent reading /proc.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Probe, ProbeOptions, ProbeResult } from './probe';

if (!isMainThread && parentPort && workerData?.probe) {
  const port = parentPort;
  const probe = new Probe(workerData.probe as ProbeOptions);
  probe.start().then(
    () => port.postMessage({ type: 'ready' }),
    (e) => port.postMessage({ type: 'error', message: (e as Error).message }),
  );
  port.on('message', (m: { type: string }) => {
    if (m.type !== 'stop') return;
    probe.stop().then((result) => {
      port.postMessage({ type: 'result', result });
      port.close();
    });
  });
}

/** The main-thread handle of a probe running in its worker. */
export class ProbeWorker {
  private worker: Worker | null = null;
  private waiting: ((m: { type: string; result?: ProbeResult; message?: string }) => void) | null = null;

  constructor(private readonly opts: ProbeOptions) {}

  async start(): Promise<void> {
    const w = new Worker(__filename, { workerData: { probe: this.opts } });
    this.worker = w;
    w.on('message', (m) => {
      const f = this.waiting;
      this.waiting = null;
      f?.(m);
    });
    w.on('error', (e) => {
      const f = this.waiting;
      this.waiting = null;
      f?.({ type: 'error', message: e.message });
    });
    const m = await this.next(10_000);
    if (m.type !== 'ready') throw new Error(`latency probe did not start: ${m.message ?? m.type}`);
  }

  private next(ms: number): Promise<{ type: string; result?: ProbeResult; message?: string }> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiting = null;
        resolve({ type: 'timeout' });
      }, ms);
      this.waiting = (m) => {
        clearTimeout(t);
        resolve(m);
      };
    });
  }

  /** Stops placing calls and returns what was measured (empty on a worker failure). */
  async stop(): Promise<ProbeResult> {
    const empty: ProbeResult = { sent: 0, answered: 0, completed: 0, latencyUs: [] };
    if (!this.worker) return empty;
    const p = this.next(10_000);
    this.worker.postMessage({ type: 'stop' });
    const m = await p;
    await this.worker.terminate();
    this.worker = null;
    return m.result ?? empty;
  }
}
