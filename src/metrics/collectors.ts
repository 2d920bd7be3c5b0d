/**
 * The Prometheus metrics: every value is read from the daemon's own counters at scrape
 * time (collect callbacks), so the hot paths only bump plain numbers. Destinations that
 * left the list disappear from the next scrape.
 *
 * Units follow Prometheus conventions (seconds); dispatcher.list shows the same latency
 * figures in milliseconds.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ProxyCore } from '../proxy/core';
import { lbMetrics } from './lb-collectors';
import { VERSION } from '../core/version';
import type { Dispatcher } from '../modules/dispatcher/engine';
import type { KeepaliveSender } from '../modules/dispatcher/keepalive-sender';
import type { DispatcherCounters, ProbeOutcome } from '../modules/dispatcher/stats';
import type { Destination, LatencyStats } from '../modules/dispatcher/model';
import {
  DS_DISABLED_DST,
  DS_INACTIVE_DST,
  DS_PROBING_DST,
  DS_TRYING_DST,
  isSkipped,
} from '../modules/dispatcher/flags';

/** What the metrics read (DispatcherRuntime provides the dispatcher part). */
export interface MetricsSources {
  readonly core: ProxyCore;
  readonly dispatcher: {
    readonly ds: Dispatcher;
    readonly keepalive: KeepaliveSender;
    readonly counters: DispatcherCounters;
  };
}

/** Per-destination labels: the set, the URI and the duid attribute ("" when it has none). */
const DEST = ['set', 'uri', 'duid'] as const;
const STATES: ReadonlyArray<[string, (flags: number) => boolean]> = [
  ['active', (f) => (f & (DS_INACTIVE_DST | DS_DISABLED_DST | DS_TRYING_DST)) === 0],
  ['trying', (f) => (f & (DS_INACTIVE_DST | DS_DISABLED_DST)) === 0 && (f & DS_TRYING_DST) !== 0],
  ['inactive', (f) => (f & DS_INACTIVE_DST) !== 0],
  ['disabled', (f) => (f & DS_INACTIVE_DST) === 0 && (f & DS_DISABLED_DST) !== 0],
];
const OUTCOMES: readonly ProbeOutcome[] = ['ok', 'failed', 'timeout', 'error'];

/** Round-trip buckets for keepalives, seconds. */
const PROBE_RTT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

type DestLabels = { set: string; uri: string; duid: string };

function eachDest(src: MetricsSources, f: (l: DestLabels, flags: number, d: Destination) => void): void {
  for (const set of src.dispatcher.ds.list?.sets ?? []) {
    const setText = String(set.id);
    for (const d of set.dests) f({ set: setText, uri: d.uri, duid: d.attrs.duid ?? '' }, d.flags, d);
  }
}

/** A counter whose value is copied from `read` at every scrape. */
function mirrorCounter<L extends string>(
  reg: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: (set: (labels: Record<L, string>, v: number) => void) => void,
): void {
  new Counter<L>({
    name,
    help,
    labelNames,
    registers: [reg],
    collect() {
      this.reset();
      read((labels, v) => this.inc(labels as never, v));
    },
  });
}

function mirrorGauge<L extends string>(
  reg: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: (set: (labels: Record<L, string>, v: number) => void) => void,
  aggregator: 'sum' | 'max' = 'sum',
): void {
  new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [reg],
    aggregator,
    collect() {
      this.reset();
      read((labels, v) => this.set(labels as never, v));
    },
  });
}

/**
 * A gauge every worker reports alike (children > 1: one dispatcher truth), so the primary
 * takes the largest instead of the sum; only the prober's keepalive figures are non-zero.
 */
function sameGauge<L extends string>(
  reg: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: (set: (labels: Record<L, string>, v: number) => void) => void,
): void {
  mirrorGauge(reg, name, help, labelNames, read, 'max');
}

function dispatcherMetrics(reg: Registry, src: MetricsSources): void {
  const { ds, counters, keepalive } = src.dispatcher;
  sameGauge(
    reg,
    'dsd_dispatcher_destination_up',
    '1 when the destination can be selected (not inactive or disabled)',
    DEST,
    (set) => eachDest(src, (l, f) => set(l, isSkipped(f) ? 0 : 1)),
  );
  sameGauge(
    reg,
    'dsd_dispatcher_destination_state',
    'Destination state (first FLAGS letter), one series per state set to 1',
    [...DEST, 'state'],
    (set) =>
      eachDest(src, (l, f) => {
        for (const [name, is] of STATES) set({ ...l, state: name }, is(f) ? 1 : 0);
      }),
  );
  sameGauge(reg, 'dsd_dispatcher_destination_probing', '1 when the destination has the P (probing) flag', DEST, (set) =>
    eachDest(src, (l, f) => set(l, f & DS_PROBING_DST ? 1 : 0)),
  );
  mirrorCounter(
    reg,
    'dsd_dispatcher_destination_transitions_total',
    'dst-up / dst-down transitions from keepalives and ds_mark_dst (RPC changes and reloads are not transitions)',
    [...DEST, 'direction'],
    (set) =>
      eachDest(src, (l) => {
        const c = counters.of(Number(l.set), l.uri);
        set({ ...l, direction: 'up' }, c.up);
        set({ ...l, direction: 'down' }, c.down);
      }),
  );
  mirrorCounter(
    reg,
    'dsd_dispatcher_probes_total',
    'Keepalive results: ok (alive), failed (other reply), timeout (no reply), error (not sent)',
    [...DEST, 'result'],
    (set) =>
      eachDest(src, (l) => {
        const c = counters.of(Number(l.set), l.uri);
        for (const o of OUTCOMES) set({ ...l, result: o }, c.probes[o]);
      }),
  );
  mirrorCounter(
    reg,
    'dsd_dispatcher_calls_total',
    'Times the destination was the first choice of a ds_select*',
    DEST,
    (set) => eachDest(src, (l) => set(l, counters.of(Number(l.set), l.uri).calls)),
  );
  mirrorCounter(
    reg,
    'dsd_dispatcher_failovers_total',
    'Times the destination was left for the next one (ds_next_dst/ds_next_domain)',
    DEST,
    (set) => eachDest(src, (l) => set(l, counters.of(Number(l.set), l.uri).failovers)),
  );
  mirrorCounter(
    reg,
    'dsd_dispatcher_selections_total',
    'ds_select* calls per set and algorithm',
    ['set', 'alg', 'result'],
    (set) => {
      for (const s of counters.selectionCounts()) {
        set({ set: String(s.setId), alg: String(s.alg), result: 'ok' }, s.ok);
        set({ set: String(s.setId), alg: String(s.alg), result: 'failed' }, s.failed);
      }
    },
  );

  const latencyOn = (): boolean => ds.params.ds_ping_latency_stats !== 0;
  const latencyGauge = (name: string, help: string, pick: (s: LatencyStats) => number): void =>
    sameGauge(reg, name, help, DEST, (set) => {
      if (latencyOn()) eachDest(src, (l, _f, d) => set(l, pick(d.latency) / 1000));
    });
  latencyGauge('dsd_dispatcher_latency_average_seconds', 'Keepalive latency AVG (ds_ping_latency_stats)', (s) => s.avg);
  latencyGauge('dsd_dispatcher_latency_stddev_seconds', 'Keepalive latency STD', (s) => s.std);
  latencyGauge(
    'dsd_dispatcher_latency_estimate_seconds',
    'Keepalive latency EST (EWMA, ds_latency_estimator_alpha)',
    (s) => s.est,
  );
  latencyGauge('dsd_dispatcher_latency_max_seconds', 'Keepalive latency MAX', (s) => s.max);
  mirrorCounter(
    reg,
    'dsd_dispatcher_latency_timeouts_total',
    'Keepalive TIMEOUT count of dispatcher.list (ds_ping_latency_stats)',
    DEST,
    (set) => {
      if (latencyOn()) eachDest(src, (l, _f, d) => set(l, d.latency.timeout));
    },
  );

  const rtt = new Histogram<'set'>({
    name: 'dsd_dispatcher_probe_rtt_seconds',
    help: 'Keepalive round trip of real replies, per set',
    labelNames: ['set'],
    buckets: PROBE_RTT_BUCKETS,
    registers: [reg],
  });
  counters.probeTap = {
    probe: (setId, _uri, _o, ms) => {
      if (ms !== null) rtt.observe({ set: String(setId) }, ms / 1000);
    },
  };

  const ka = keepalive.stats;
  sameGauge(reg, 'dsd_dispatcher_ping_active', 'dispatcher.ping_active (1 = keepalives on)', [], (set) =>
    set({}, ds.pingEnabled ? 1 : 0),
  );
  mirrorCounter(reg, 'dsd_dispatcher_keepalive_rounds_total', 'Keepalive rounds started', [], (set) =>
    set({}, ka.rounds),
  );
  mirrorCounter(
    reg,
    'dsd_dispatcher_keepalive_missed_rounds_total',
    'Interval boundaries with no keepalive round (stalled event loop)',
    [],
    (set) => set({}, ka.missedRounds),
  );
  sameGauge(reg, 'dsd_dispatcher_keepalive_round_lag_seconds', 'How late the last keepalive round started', [], (set) =>
    set({}, ka.lastLagMs / 1000),
  );
  sameGauge(reg, 'dsd_dispatcher_keepalive_round_lag_max_seconds', 'Worst keepalive round start lag', [], (set) =>
    set({}, ka.maxLagMs / 1000),
  );
  mirrorCounter(
    reg,
    'dsd_dispatcher_list_changes_total',
    'Destination list reloads, RPC adds and removes',
    ['kind', 'result'],
    (set) => {
      for (const [kind, c] of Object.entries(counters.listChanges)) {
        set({ kind, result: 'ok' }, c.ok);
        set({ kind, result: 'failed' }, c.failed);
      }
    },
  );
  sameGauge(reg, 'dsd_dispatcher_destinations', 'Destinations per set', ['set'], (set) => {
    for (const s of ds.list?.sets ?? []) set({ set: String(s.id) }, s.dests.length);
  });
}

function coreMetrics(reg: Registry, src: MetricsSources): void {
  const core = src.core;
  const cs = core.stats;
  const ts = core.txns.stats;
  mirrorCounter(reg, 'dsd_sip_messages_received_total', 'SIP messages received', ['kind'], (set) => {
    set({ kind: 'request' }, cs.requestsIn);
    set({ kind: 'reply' }, cs.repliesIn);
  });
  mirrorCounter(
    reg,
    'dsd_sip_messages_sent_total',
    'SIP messages sent: request = proxied branches, reply = transaction replies, stateless = stateless forwards, keepalive = probes',
    ['kind'],
    (set) => {
      set({ kind: 'request' }, cs.branchesSent);
      set({ kind: 'reply' }, ts.rplSent);
      set({ kind: 'stateless' }, cs.statelessForwards);
      set({ kind: 'keepalive' }, src.dispatcher.keepalive.stats.sent);
    },
  );
  mirrorCounter(
    reg,
    'dsd_sip_messages_dropped_total',
    'SIP messages dropped (unparsable, invalid, unmatched)',
    [],
    (set) => set({}, cs.dropped),
  );
  mirrorCounter(reg, 'dsd_sip_requests_rejected_total', 'Requests refused before routing', [], (set) =>
    set({}, cs.rejected),
  );
  mirrorCounter(
    reg,
    'dsd_sip_requests_shed_total',
    'New requests answered 503 by the admission bound: busy = tm max_transactions and the other bounds on work in flight, queue_wait = waited past tm max_queue_wait in a UDP receive queue',
    ['reason'],
    (set) => {
      set({ reason: 'busy' }, core.admission.refused);
      set({ reason: 'queue_wait' }, core.queueShed.shed);
    },
  );
  mirrorGauge(
    reg,
    'dsd_udp_queue_wait_seconds',
    "How long the last probe waited in a UDP socket's receive queue before the reader took it (tm max_queue_wait); 0 while idle",
    ['socket'],
    (set) => {
      for (const w of core.transport.queueWaits?.() ?? []) set({ socket: w.socket }, w.ms / 1000);
    },
    'max',
  );
  mirrorGauge(reg, 'dsd_tm_transactions_current', 'Transactions in memory', [], (set) => set({}, ts.current));
  mirrorGauge(reg, 'dsd_tm_transactions_waiting', 'Transactions waiting for their wait timer', [], (set) =>
    set({}, ts.waiting),
  );
  // tm.stats' total counts local transactions too: split it so the series add up to the total.
  mirrorCounter(
    reg,
    'dsd_tm_transactions_total',
    'Transactions created: received (from the network) and local (generated by dsd); their sum is tm.stats total',
    ['origin'],
    (set) => {
      set({ origin: 'received' }, Math.max(0, ts.total - ts.totalLocal));
      set({ origin: 'local' }, ts.totalLocal);
    },
  );
  mirrorCounter(
    reg,
    'dsd_tm_replies_sent_total',
    'Final and provisional replies sent by transactions, per class',
    ['class'],
    (set) => {
      ts.byClass.forEach((n, c) => {
        if (c >= 1) set({ class: `${c}xx` }, n);
      });
    },
  );
  mirrorCounter(reg, 'dsd_tm_replies_generated_total', 'Replies generated locally', [], (set) =>
    set({}, ts.rplGenerated),
  );
  mirrorCounter(reg, 'dsd_tm_replies_received_total', 'Replies received by client transactions', [], (set) =>
    set({}, ts.rplReceived),
  );
}

/**
 * prom-client's gauges named like counters (nodejs_active_*_total): Prometheus conventions
 * reserve _total for counters, and the same values are exported without the suffix.
 */
const MISNAMED_DEFAULTS = [
  'nodejs_active_resources_total',
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
];

/** A registry with every dsd metric plus prom-client's process metrics. */
export function buildMetricsRegistry(src: MetricsSources): Registry {
  const reg = new Registry();
  collectDefaultMetrics({ register: reg });
  for (const name of MISNAMED_DEFAULTS) reg.removeSingleMetric(name);
  new Gauge({
    name: 'dsd_build_info',
    help: 'Always 1: the running dsd version and the Node.js it runs on',
    labelNames: ['version', 'node_version', 'arch', 'platform'],
    registers: [reg],
  }).set({ version: VERSION, node_version: process.version, arch: process.arch, platform: process.platform }, 1);
  dispatcherMetrics(reg, src);
  coreMetrics(reg, src);
  lbMetrics(reg, src.dispatcher.ds);
  return reg;
}
