/**
 * A SIP worker (children > 1): the whole pipeline (parse → transaction → script → proxy)
 * for the Call-IDs it owns (affinity.ts). One worker reads the shared UDP sockets (the
 * lowest-numbered live one: worker 0, or a stand-in while worker 0 restarts) and hands a
 * message it does not own to the owner over the handoff socket, so a call's messages keep
 * their order; worker 0 holds the TCP listeners and connections and hands on what it
 * reads there too. Every worker sends on the shared UDP sockets itself, and TCP through
 * worker 0. Worker 0 also runs the
 * keepalives. Control calls, the live-worker table and the dispatcher replica's updates
 * come from the primary over IPC.
 */
import cluster from 'node:cluster';
import type { ProxyCore } from '../proxy/core';
import type { TransportLayer } from '../transport/layer';
import type { Source } from '../transport/types';
import type { Logger } from '../core/log';
import type { MethodRegistry } from '../control/registry';
import type { DispatcherRuntime } from '../modules/dispatcher/runtime';
import { Affinity } from './affinity';
import type { Placement } from './placement';
import { HandoffSocket, KIND_MESSAGE, KIND_TCP_SEND } from './handoff';
import { CallSteering, placementFor, allWorkersRead, readersPack } from './steering';
import { DispatcherReplica } from './replica';
import {
  INTERNAL,
  PeerTable,
  ReplayCall,
  SHORT_WARMUP_ENV,
  IDLE_WARMUP_ENV,
  StateUpdate,
  ToPrimary,
  ToWorker,
  WORKER_ENV,
  WireFault,
} from './ipc';

export interface WorkerRole {
  readonly index: number;
  readonly count: number;
  /** Warm up for a fifth of the budget (ipc.ts, SHORT_WARMUP_ENV). */
  readonly shortWarmup: boolean;
  /** Go on warming up while idle once ready (ipc.ts, IDLE_WARMUP_ENV). */
  readonly idleWarmup: boolean;
}

/** This process's role when it is a cluster worker; null in the primary or a single process. */
export function workerRole(children: number): WorkerRole | null {
  if (!cluster.isWorker) return null;
  const index = Number(process.env[WORKER_ENV] ?? '0');
  return {
    index: Number.isInteger(index) && index >= 0 ? index : 0,
    count: children,
    shortWarmup: process.env[SHORT_WARMUP_ENV] === '1',
    idleWarmup: process.env[IDLE_WARMUP_ENV] === '1',
  };
}

export interface LinkOptions {
  /** The children_pack global: per cent of the reader's event loop under which it keeps new calls. */
  readonly packPercent: number;
}

export interface WorkerInit {
  readonly replay: readonly ReplayCall[];
  readonly snapshot: readonly StateUpdate[] | null;
  readonly startedAt: Date;
}

function send(m: ToPrimary): void {
  if (process.connected) process.send!(m);
}

/** Tells the primary this worker has loaded its engine and starts warming up (pool.ts forks the others then). */
export function reportLoaded(index: number): void {
  send({ t: 'loaded', index });
}

const NO_PLACEMENT: Placement['stats'] = Object.freeze({ kept: 0, byHash: 0 });

export class WorkerLink {
  readonly affinity: Affinity;
  private readonly handoff: HandoffSocket;
  private replica: DispatcherReplica | null = null;
  private registry: MethodRegistry | null = null;
  private metrics: { getMetricsAsJSON(): Promise<unknown> } | null = null;
  private dispatcher: DispatcherRuntime | null = null;
  private initWaiter: ((i: WorkerInit) => void) | null = null;
  private isReady = false;
  /** null: every call by Call-ID hash (children_pack=0, or too many workers for the table). */
  private readonly placement: Placement | null;
  private reading = false;
  /** Every ready worker reads (steering.ts allWorkersRead). */
  private readonly allRead = allWorkersRead();
  onDrain: (() => void) | null = null;

  constructor(
    readonly role: WorkerRole,
    private readonly core: ProxyCore,
    private readonly transport: TransportLayer,
    private readonly log: Logger,
    opts: LinkOptions,
  ) {
    this.affinity = new Affinity(role.count);
    this.placement = placementFor(role.index, role.count, readersPack(opts.packPercent), core);
    core.setWorker(role.index);
    core.queueShed.enabled = !this.allRead;
    this.handoff = new HandoffSocket(
      (kind, addr, payload) => {
        if (kind === KIND_MESSAGE) {
          const local = core.transport.sockets[addr.localId];
          if (!local) return;
          const src: Source = { proto: addr.proto, ip: addr.ip, port: addr.port, local };
          const waited = (addr.waited ?? 0) + this.handoff.queueWait();
          // held while this worker warms up idle, as what its own sockets read (warmup-idle.ts)
          const held = this.transport.inbound;
          if (held.holding) held.run(() => core.receive(payload, src, true, waited));
          else core.receive(payload, src, true, waited);
        } else if (kind === KIND_TCP_SEND) {
          const local = core.transport.sockets[addr.localId];
          core.transport.send({ proto: addr.proto, ip: addr.ip, port: addr.port, local }, payload);
        }
      },
      (m) => log.warn(m),
    );
  }

  /** Binds the handoff socket, steers messages, asks the primary for the init. */
  async start(): Promise<WorkerInit> {
    await this.handoff.bind();
    const { index } = this.role;
    this.core.steer = new CallSteering(
      index,
      this.role.count,
      this.affinity,
      this.placement,
      this.core.queueShed,
      this.handoff,
    );
    if (index !== 0) {
      this.transport.tcpRelay = (target, buf) =>
        this.handoff.send(
          0,
          KIND_TCP_SEND,
          { proto: target.proto, localId: target.local?.id ?? 255, ip: target.ip, port: target.port },
          buf,
        );
    }
    process.on('message', (m: ToWorker) => this.onMessage(m));
    process.on('disconnect', () => {
      this.log.error('the primary process is gone; exiting');
      process.exit(1);
    });
    const init = new Promise<WorkerInit>((resolve) => {
      this.initWaiter = resolve;
    });
    send({ t: 'up', index, port: this.handoff.port });
    return init;
  }

  /** Wires the dispatcher (replica, prober Call-IDs) and the control methods. */
  attach(o: {
    dispatcher: DispatcherRuntime | null;
    registry: MethodRegistry;
    metrics: { getMetricsAsJSON(): Promise<unknown> } | null;
  }): void {
    this.registry = o.registry;
    this.metrics = o.metrics;
    this.dispatcher = o.dispatcher;
    const ds = o.dispatcher?.ds;
    if (ds) {
      this.replica = new DispatcherReplica(
        ds,
        (updates) => send({ t: 'state', from: this.role.index, updates }),
        (updates) => send({ t: 'load', from: this.role.index, updates }),
      );
      this.replica.start();
      o.dispatcher!.keepalive.acceptCallId = (id) => this.affinity.home(id) === this.role.index;
    }
  }

  /** Runs control calls recorded by the primary (add/remove since the last reload) and takes the states. */
  async replay(init: WorkerInit): Promise<void> {
    for (const c of init.replay) {
      try {
        await this.invokeFollower(c.method, c.params);
      } catch (e) {
        this.log.warn(`replaying ${c.method}: ${(e as Error).message}`);
      }
    }
    if (init.snapshot) this.replica?.apply(init.snapshot);
  }

  /** Says ready; the primary's answer (the peer table) says whether this worker reads UDP. */
  ready(warmupMs: number): void {
    send({ t: 'ready', index: this.role.index, warmupMs });
    this.isReady = true;
  }

  /**
   * One worker reads the shared UDP sockets, so a call's messages keep their order through
   * the hand-over: two readers would reorder them (an ACK read by one worker and handed over
   * reaches the owner after the BYE the owner read itself). The primary names it: the first
   * ready worker, and it stays the reader while it lives (the calls it kept are recorded
   * only in its placement table). `DSD_UDP_READERS=all` lets every ready worker read
   * (measured in the README's design notes with bench/ab.ts).
   */
  private chooseReader(t: PeerTable): void {
    if (!this.isReady) return;
    const reading = this.allRead || t.reader === this.role.index;
    if (reading && !this.reading && t.takeover) this.placement?.hashOnly();
    // worker 0 places the calls that come in over TCP, which it alone reads
    if (reading || this.role.index === 0) this.placement?.start();
    else this.placement?.stop();
    this.reading = reading;
    this.transport.receiveUdp(reading);
  }

  get handoffStats(): HandoffSocket['stats'] {
    return this.handoff.stats;
  }

  /** New calls this worker placed while it read: kept, or given by Call-ID hash (none counted with children_pack=0). */
  get placementStats(): Placement['stats'] {
    return this.placement?.stats ?? NO_PLACEMENT;
  }

  close(): void {
    this.placement?.stop();
    this.replica?.stop();
    this.handoff.close();
  }

  /**
   * A change the primary already made in another worker: the reload_delta guard was
   * checked there, so it must not refuse it here.
   */
  private invokeFollower(method: string, params: unknown): Promise<unknown> {
    const ds = this.dispatcher?.ds;
    const saved = ds?.params.reload_delta;
    if (ds) ds.params.reload_delta = 0;
    try {
      return this.registry!.invoke(method, params);
    } finally {
      if (ds && saved !== undefined) ds.params.reload_delta = saved;
    }
  }

  private setPeers(t: PeerTable): void {
    this.handoff.setPeers(t.peers);
    this.affinity.setLive(t.live);
    this.chooseReader(t);
  }

  private onMessage(m: ToWorker): void {
    switch (m.t) {
      case 'init':
        this.setPeers(m);
        this.initWaiter?.({ replay: m.replay, snapshot: m.snapshot, startedAt: new Date(m.startedAt) });
        this.initWaiter = null;
        break;
      case 'peers':
        this.setPeers(m);
        break;
      case 'state':
        this.replica?.apply(m.updates);
        break;
      case 'load':
        this.replica?.applyLoad(m.from, m.updates);
        break;
      case 'forget':
        this.replica?.forget(m.index);
        break;
      case 'drain':
        this.onDrain?.();
        break;
      case 'rpc':
        void this.rpc(m.id, m.method, m.params, m.follower);
        break;
      default:
        break;
    }
  }

  private async rpc(id: number, method: string, params: unknown, follower: boolean): Promise<void> {
    try {
      let result: unknown;
      if (method === INTERNAL.snapshot) result = this.replica?.snapshot() ?? [];
      else if (method === INTERNAL.metrics) result = this.metrics ? await this.metrics.getMetricsAsJSON() : [];
      else if (!this.registry) throw new Error('not ready');
      else result = await (follower ? this.invokeFollower(method, params) : this.registry.invoke(method, params));
      send({ t: 'rpcres', id, ok: true, result });
    } catch (e) {
      const err = e as Error & { code?: unknown; data?: unknown; detail?: unknown };
      const fault: WireFault =
        typeof err.code === 'number' && Number.isInteger(err.code)
          ? { code: err.code, message: err.message, data: err.data ?? err.detail ?? undefined }
          : { code: 500, message: 'Internal Error', data: err.message };
      send({ t: 'rpcres', id, ok: false, fault });
    }
  }
}
