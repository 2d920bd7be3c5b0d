/**
 * The SIP engine of one process (a single dsd, or one SIP worker): transport, proxy core,
 * TLS/WebSocket, acc, the dispatcher and its database — built and loaded, then warmed up,
 * and only then bound. Nothing here reads a SIP socket until bind().
 */
import { configureDnsResolver } from '../dns/resolver';
import os from 'node:os';
import type { DaemonArgs } from './args';
import type { DaemonConfig } from './config';
import { scriptHooks, runDispatcherEvent } from './script-hooks';
import { startupSummary } from './startup-log';
import type { Logger } from '../core/log';
import { ProxyCore, type CoreOptions, type CoreSteer } from '../proxy/core';
import { warmSteering, readersPack } from '../workers/steering';
import { FirstMessageLog } from './first-message';
import { TransportLayer } from '../transport/layer';
import type { Transport } from '../transport/types';
import { DispatcherRuntime } from '../modules/dispatcher/runtime';
import type { LoadReport } from '../modules/dispatcher/list-manager';
import type { Services } from '../modules/services';
import { VERSION } from '../core/version';
import { DispatcherDb } from './db-glue';
import type { WorkerRole } from '../workers/worker';
import { AccRuntime } from '../modules/acc/runtime';
import { TlsProfiles } from '../transport/tls-profiles';
import { TlsTransport } from '../transport/tls';
import type { WsTransport } from '../transport/ws';
import { runXhttpRequest } from '../modules/xhttp/request';
import { HttpServer } from '../transport/http';
import { warmUp, WarmupReport, WarmupOptions, WARMUP_DEFAULT_MS } from './warmup';
import { mark } from './startup-marks';
import { fullGc, mb } from './full-gc';
import { QuietHeap, quietGrowthBytes, quietIntervalMs } from './heap-quiet';

/** What Kamailio's default Server/User-Agent say about it, for dsd. */
const SIGNATURE = `dsd (${VERSION} (${os.arch()}/${os.platform()}))`;

/** The Server header line for HTTP replies (the cfg may hold the value or the whole line). */
function serverLine(h: string | null): string | null {
  if (!h) return null;
  return /^server:/i.test(h) ? h.replace(/\r?\n$/, '') : `Server: ${h}`;
}

export interface Engine {
  readonly transport: TransportLayer;
  readonly core: ProxyCore;
  readonly tls: TlsTransport | null;
  readonly ws: WsTransport | null;
  readonly acc: AccRuntime | null;
  readonly dsDb: DispatcherDb | null;
  readonly dispatcher: DispatcherRuntime;
  readonly loadReport: LoadReport | null;
  /** Gives the heap back when the process goes quiet after a load (heap-quiet.ts). */
  readonly quietHeap: QuietHeap;
  readonly coreOptions: (transport: Transport, log: Logger) => CoreOptions;
}

export interface EngineStart {
  readonly args: DaemonArgs;
  readonly cfg: DaemonConfig;
  readonly svc: Services;
  readonly log: Logger;
  /** A worker of several, or null in a single process. */
  readonly role: WorkerRole | null;
  readonly die: (msg: string) => never;
}

/** Builds and loads everything; binds nothing. */
export async function buildEngine(o: EngineStart): Promise<Engine> {
  const { cfg, log, role, svc } = o;
  configureDnsResolver(cfg.dns);
  const transport = new TransportLayer(cfg.listen, {
    maxStreamMessage: 65535,
    limits: cfg.tcpLimits,
    log,
    // several workers: the first holds the stream connections; one ready worker at a
    // time reads the shared UDP sockets (src/workers/README.md)
    listenTcp: role === null || role.index === 0,
    // a single dsd binds UDP before its warm-up and reads it after (openEngine); a worker
    // binds after its warm-up and reads once it is the reader
    receiveUdp: false,
    holdStreams: role === null,
    udpMaxBuffer: cfg.compiled.globals.maxBuffer,
  });
  const coreOptions = (t: Transport, l: Logger): CoreOptions => ({
    transport: t,
    tm: cfg.tm,
    log: l,
    aliases: cfg.aliases,
    rr: cfg.rr,
    admission: cfg.admission,
    // Kamailio's server_header / user_agent_header are whole lines; server_signature=no drops both
    serverHeader: cfg.serverSignature ? (cfg.serverHeader ?? `Server: ${SIGNATURE}`) : null,
    userAgentHeader: cfg.serverSignature ? (cfg.userAgentHeader ?? `User-Agent: ${SIGNATURE}`) : null,
  });
  const core = new ProxyCore(coreOptions(transport, log), scriptHooks(cfg.compiled.script, log));
  // set before the warm-up: the real core keeps the warm core's hidden class (ProxyCore.firstTap)
  core.firstTap = new FirstMessageLog(log);
  let tls: TlsTransport | null = null;
  if (cfg.tls) {
    const profiles = new TlsProfiles(cfg.tls.settings);
    try {
      profiles.load();
    } catch (e) {
      o.die(`dsd: tls: ${(e as Error).message}`);
    }
    tls = new TlsTransport(profiles, {
      maxStreamMessage: 65535,
      idleMs: cfg.tls.idleMs,
      handshakeMs: cfg.tls.handshakeMs,
      log,
    });
    transport.plug(tls);
  }
  let ws: WsTransport | null = null;
  if (cfg.xhttp || cfg.websocket) {
    // HTTP on the TCP/TLS listen sockets: xhttp on its own, or under a WebSocket upgrade
    const http = new HttpServer({
      maxHead: 16384,
      maxBody: 65535,
      server: () => serverLine(core.serverHeader),
      log,
    });
    http.onRequest = (r) => runXhttpRequest(cfg.compiled.script, log, r);
    transport.http = (s, first, local, secure, touch) => http.take(s, first, local, secure, touch);
    svc.xhttp = http;
    if (cfg.websocket) {
      const w = cfg.websocket;
      // the `ws` package is loaded only with the websocket module (measured: 20-40 ms of every start)
      const { WsTransport: Ws } = require('../transport/ws') as typeof import('../transport/ws');
      ws = new Ws(
        {
          maxMessage: 65535,
          keepaliveMechanism: w.keepaliveMechanism,
          keepaliveTimeout: w.keepaliveTimeout,
          keepaliveInterval: w.keepaliveInterval,
          corsMode: w.corsMode,
          pingData: w.pingData ?? SIGNATURE,
          log,
          server: () => serverLine(core.serverHeader),
        },
        http,
        transport.pluggedEvents(),
      );
      transport.plug(ws);
      svc.websocket = ws;
    }
  }
  svc.core = core;

  let acc: AccRuntime | null = null;
  if (cfg.acc) {
    try {
      acc = await AccRuntime.start(cfg.acc, log, (t) => cfg.compiled.compilePv(t));
    } catch (e) {
      o.die(`dsd: acc: ${(e as Error).message}`);
    }
    core.observers.push(acc.engine);
    svc.acc = acc;
  }

  let dsDb: DispatcherDb | null;
  try {
    dsDb = await DispatcherDb.create({
      ds: cfg.ds,
      db: cfg.db,
      cluster: cfg.cluster,
      loadedModules: cfg.loadedModules,
      log,
      version: `dsd ${VERSION}`,
      address: transport.sockets[0]?.text ?? '',
    });
  } catch (e) {
    o.die(`dsd: ${(e as Error).message}`);
  }
  const dispatcher = new DispatcherRuntime({
    core,
    params: cfg.ds,
    log,
    stateFile: cfg.stateFile,
    initialStateEvents: cfg.health.initialStateEvents,
    listSource: dsDb?.listSource,
    adminSource: dsDb?.adminSource,
    drainSource: dsDb?.drainSource,
    saveAdmin: role === null || role.index === 0,
    probe: role === null || role.index === 0,
  });
  if (cfg.ds.hash_pvar) {
    try {
      dispatcher.hashPvar = cfg.compiled.compileFormat(cfg.ds.hash_pvar);
    } catch (e) {
      o.die(`${o.args.cfgFile}: modparam("dispatcher", "hash_pvar"): ${(e as Error).message}`);
    }
  }
  dsDb?.attach(dispatcher);
  await dsDb?.startCluster();
  dispatcher.onEvent = (ev) => runDispatcherEvent(cfg.compiled.script, core, log, ev);
  dispatcher.compileFormat = (fmt) => cfg.compiled.compileFormat(fmt);
  svc.dispatcher = dispatcher;
  let loadReport: LoadReport | null = null;
  try {
    if (cfg.dispatcherLoaded) loadReport = await dispatcher.load();
  } catch (e) {
    const detail = (e as { detail?: string }).detail;
    await dsDb?.close();
    o.die(`dsd: ${(e as Error).message}${detail ? ` (${detail})` : ''}`);
  }
  mark('engine');
  const quietHeap = new QuietHeap({
    handled: () => core.stats.requestsIn + core.stats.repliesIn,
    intervalMs: quietIntervalMs(),
    growthBytes: quietGrowthBytes(),
    onCollect: (r) =>
      o.log.info(
        `heap: quiet after a load, collected: committed ${mb(r.committedBefore)} -> ${mb(r.committedAfter)} MB, ` +
          `in use ${mb(r.before)} -> ${mb(r.after)} MB`,
      ),
  });
  return { transport, core, tls, ws, acc, dsDb, dispatcher, loadReport, quietHeap, coreOptions };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** DSD_WARMUP_MS: the warm-up's time budget (0: none); the default otherwise. */
function warmupBudget(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.DSD_WARMUP_MS;
  if (v === undefined || v === '') return WARMUP_DEFAULT_MS;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.min(n, 10_000) : WARMUP_DEFAULT_MS;
}

/** A worker's warm core steers as the real one does, keeping every message (workers/steering.ts). */
function warmSteeringOf(role: WorkerRole, childrenPack: number): (core: ProxyCore) => CoreSteer {
  return (core) => warmSteering(role.index, role.count, readersPack(childrenPack), core);
}

/** What the warm-up (warmup.ts) runs on: this engine's transport, script, dispatcher and acc. */
export function warmupOptions(e: Engine, o: EngineStart, budgetMs: number, interrupt?: () => boolean): WarmupOptions {
  const { cfg } = o;
  return {
    svc: o.svc,
    log: o.log,
    transport: e.transport,
    coreOptions: e.coreOptions,
    hooks: (l, watch) => scriptHooks(cfg.compiled.script, l, watch),
    dispatcher: cfg.dispatcherLoaded ? e.dispatcher : null,
    websocket: e.ws !== null,
    acc: cfg.acc ? (l) => AccRuntime.detached(cfg.acc!, l, (t) => cfg.compiled.compilePv(t)) : null,
    steering: o.role ? warmSteeringOf(o.role, cfg.compiled.globals.childrenPack) : null,
    engines: o.role?.shortWarmup ? 1 : 2,
    budgetMs,
    interrupt,
  };
}

/**
 * Runs the warm-up (see warmup.ts) and logs what it did; a warm-up that fails is logged
 * and skipped: dsd then starts cold, as it would have without it.
 */
export async function warmEngine(e: Engine, o: EngineStart, who: string): Promise<WarmupReport | null> {
  const full = warmupBudget();
  const budgetMs = o.role?.shortWarmup && full > 0 ? Math.max(1, Math.round(full / 5)) : full;
  if (budgetMs === 0) {
    o.log.info(`${who}: warm-up off (DSD_WARMUP_MS=0)`);
    return null;
  }
  let r: WarmupReport;
  try {
    r = await warmUp(warmupOptions(e, o, budgetMs));
  } catch (err) {
    o.log.warn(`${who}: warm-up failed, starting cold: ${(err as Error).message}`);
    return null;
  }
  // the warm-up's garbage goes now, before the first message (full-gc.ts)
  const gc = fullGc();
  const heap = gc ? { before: mb(gc.before), after: mb(gc.after) } : null;
  mark('warm-up');
  const steps = r.steps.map((s) => `${s.name} ${s.ms.toFixed(1)} ms`).join(', ');
  const cut = [
    r.cutShort ? 'the last call cut short' : '',
    r.skipped.length ? `skipped: ${r.skipped.join(', ')}` : '',
    r.abandoned ? `${r.abandoned} route(s) still running left behind` : '',
  ]
    .filter((x) => x)
    .join('; ');
  o.log.info(
    `${who}: warm-up done in ${Math.round(r.ms)} ms (budget ${r.budgetMs} ms, ${r.overrunMs.toFixed(1)} ms over it, ` +
      `longest step between deadline checks ${r.longestSliceMs.toFixed(1)} ms): ${r.calls} synthetic calls (${r.completed} completed), ` +
      `${Math.round(r.firstUs)} µs per call at first, ${Math.round(r.lastUs)} µs at the end (${steps})${cut ? `; ${cut}` : ''}` +
      (heap ? `; heap ${heap.before} MB, ${heap.after} MB after a full collection` : ''),
    {
      warmup_ms: Math.round(r.ms),
      budget_ms: r.budgetMs,
      overrun_ms: round1(r.overrunMs),
      longest_slice_ms: round1(r.longestSliceMs),
      cut_short: r.cutShort,
      skipped: r.skipped,
      calls: r.calls,
      completed: r.completed,
      first_us: Math.round(r.firstUs),
      last_us: Math.round(r.lastUs),
      steps: Object.fromEntries(r.steps.map((s) => [s.name, Number(s.ms.toFixed(2))])),
      errors: r.errors,
      abandoned: r.abandoned,
      heap_mb: heap,
    },
  );
  if (r.errors > 0) o.log.debug(`${who}: the warm-up's calls logged ${r.errors} error(s), first: ${r.firstError}`);
  return r;
}

/** Reading begins: the first message's line counts from here. */
export function logFirstMessage(core: ProxyCore, who: string): void {
  if (core.firstTap instanceof FirstMessageLog) core.firstTap.since(who);
}

/**
 * Binds the SIP sockets, reading none of them yet: the UDP sockets are held (the kernel
 * keeps what arrives), and a single dsd's TCP/TLS listeners wait for openEngine().
 */
export async function bindEngine(e: Engine, o: EngineStart): Promise<void> {
  try {
    await e.core.start();
  } catch (err) {
    await e.dsDb?.close();
    o.die(`dsd: cannot listen: ${(err as Error).message}`);
  }
}

/** A single dsd, warm and ready: listens on TCP/TLS and reads UDP from here on. */
export async function openEngine(e: Engine, o: EngineStart): Promise<void> {
  logFirstMessage(e.core, 'dsd');
  try {
    await e.transport.listenStreams();
  } catch (err) {
    await e.core.stop();
    await e.dsDb?.close();
    o.die(`dsd: cannot listen: ${(err as Error).message}`);
  }
  e.transport.receiveUdp(true);
}

/** After bind: probes, timers, the start-up summary, the cluster's first heartbeat. */
export async function runEngine(e: Engine, o: EngineStart): Promise<void> {
  if (o.cfg.dispatcherLoaded) e.dispatcher.run();
  e.quietHeap.start();
  if (e.loadReport) startupSummary(o.log, o.cfg, e.dispatcher, e.loadReport);
  await e.dsDb?.started();
}
