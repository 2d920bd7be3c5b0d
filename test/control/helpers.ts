// A real ControlServer with the real core methods plus test stand-ins for the dispatcher
// methods (answering the golden results), and a runner for the real bin/dsctl.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { registerCoreMethods } from '../../src/control/core-methods';
import { MethodRegistry, type RpcCall } from '../../src/control/registry';
import { ControlServer } from '../../src/control/server';
import type { TmCounters } from '../../src/control/tm-stats';
import { RpcError } from '../../src/rpc-api/errors';
import { goldenJson, REPO_ROOT } from '../unit/cli/golden';

export const DSCTL = path.join(REPO_ROOT, 'bin', 'dsctl');

export const TM_COUNTERS: TmCounters = {
  current: 1,
  waiting: 2,
  total: 40,
  totalLocal: 4,
  replyReceived: 30,
  replyGenerated: 5,
  replySent: 33,
  replies6xx: 0,
  replies5xx: 3,
  replies4xx: 4,
  replies3xx: 0,
  replies2xx: 26,
  created: 40,
  freed: 37,
  delayedFree: 0,
};

export interface TestDaemon {
  readonly dir: string;
  readonly path: string;
  readonly server: ControlServer;
  readonly registry: MethodRegistry;
  /** Calls received by the stand-in dispatcher methods. */
  readonly calls: RpcCall[];
  close(): Promise<void>;
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-ctl-test-'));
}

export async function startDaemon(opts: { path?: string; maxRequestBytes?: number } = {}): Promise<TestDaemon> {
  const dir = tempDir();
  const sock = opts.path ?? path.join(dir, 'dsd_ctl');
  const registry = new MethodRegistry();
  const calls: RpcCall[] = [];
  const golden = goldenJson();
  registerCoreMethods(registry, {
    version: '0.1.0',
    startedAt: new Date(Date.now() - 5000),
    tmStats: { snapshot: () => TM_COUNTERS },
  });
  registry.register('dispatcher.list', (c) => {
    calls.push(c);
    return golden['dispatcher.list']![0]!.response.result;
  });
  registry.register('dispatcher.hash', (c) => {
    calls.push(c);
    return golden['dispatcher.hash']![0]!.response.result;
  });
  registry.register('dispatcher.set_state', (c) => {
    calls.push(c);
    if (!/^[0-3iatdIATD]/.test(String(c.args[0]))) throw RpcError.of('unknownStateValue');
    return 'Ok. Dispatcher state updated.';
  });
  registry.register('dispatcher.add', (c) => {
    calls.push(c);
    return 'Ok. Dispatcher destination added.';
  });
  registry.register('dispatcher.remove', (c) => {
    calls.push(c);
    return 'Ok. Dispatcher destination removed.';
  });
  registry.register('dispatcher.reload', () => {
    throw RpcError.of('ongoingReload');
  });
  registry.register('dispatcher.ping_active', () => golden['dispatcher.ping_active']![0]!.response.result);
  registry.register('test.slow', () => new Promise((r) => setTimeout(() => r('slow done'), 300)), {
    help: 'answers after 300 ms',
  });
  registry.register('test.dsfault', () => {
    // Shaped like the dispatcher's DsRpcError: an Error with a numeric code and a detail.
    throw Object.assign(new Error('Destination Group Not Found'), { code: 404, detail: 'no set 9' });
  });
  registry.register('test.crash', () => {
    throw new TypeError('handler bug');
  });
  const server = new ControlServer({ path: sock, registry, maxRequestBytes: opts.maxRequestBytes });
  await server.start();
  return {
    dir,
    path: sock,
    server,
    registry,
    calls,
    async close() {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real bin/dsctl (asynchronously: the server lives in this process). */
export function dsctl(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.DSD_CTL;
  delete base.COLUMNS;
  const cleanEnv = { ...base, ...env };
  return new Promise((resolve) => {
    execFile(process.execPath, [DSCTL, ...args], { env: cleanEnv, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : -1
        : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A raw client: sends `payload` as is, collects newline-terminated answers until `count` arrived or the peer closed. */
export function rawExchange(
  sock: string,
  payload: string | Buffer,
  count: number,
  timeoutMs = 5000,
): Promise<{ lines: string[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(sock);
    let buf = '';
    const lines: string[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`timeout; got ${JSON.stringify(lines)}`));
    }, timeoutMs);
    const done = (closed: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ lines, closed });
    };
    s.on('connect', () => s.write(payload));
    s.on('data', (d) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      if (lines.length >= count) done(false);
    });
    s.on('end', () => done(true));
    s.on('error', (e: NodeJS.ErrnoException) => {
      // The server may reset a connection it closed while we were still writing.
      if (e.code === 'EPIPE' || e.code === 'ECONNRESET') done(true);
      else {
        clearTimeout(timer);
        reject(e);
      }
    });
  });
}
