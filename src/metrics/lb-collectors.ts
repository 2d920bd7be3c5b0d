/**
 * Metrics of the dsd load-balancing extensions (drain, passive ejection, slow start,
 * active dialogs), read from the dispatcher's lb policy at scrape time.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Dispatcher } from '../modules/dispatcher/engine';
import type { Destination } from '../modules/dispatcher/model';
import { activeDialogs } from '../modules/dispatcher/lb/operations';

type L = 'set' | 'uri';

function each(ds: Dispatcher, f: (labels: Record<L, string>, d: Destination) => void): void {
  for (const set of ds.list?.sets ?? []) for (const d of set.dests) f({ set: String(set.id), uri: d.uri }, d);
}

export function lbMetrics(reg: Registry, ds: Dispatcher): void {
  const labelNames = ['set', 'uri'] as const;
  new Counter<L>({
    name: 'dsd_dispatcher_ejections_total',
    help: 'Passive ejections (ds_eject_failures consecutive failures of real traffic)',
    labelNames,
    registers: [reg],
    collect() {
      this.reset();
      each(ds, (l, d) => this.inc(l, ds.lb.eject.ejections(d)));
    },
  });
  new Counter({
    name: 'dsd_dispatcher_ejections_refused_total',
    help: 'Ejections refused because ds_eject_max_percent of the set was out',
    registers: [reg],
    collect() {
      this.reset();
      this.inc(ds.lb.eject.capped);
    },
  });
  new Gauge<L>({
    name: 'dsd_dispatcher_destination_ejected',
    // every worker reports the same destination: the primary takes the largest, not the sum
    aggregator: 'max',
    help: '1 while the destination is out after a passive ejection',
    labelNames,
    registers: [reg],
    collect() {
      this.reset();
      each(ds, (l, d) => this.set(l, ds.lb.eject.isEjected(d) ? 1 : 0));
    },
  });
  new Gauge<L>({
    name: 'dsd_dispatcher_destination_draining',
    // every worker reports the same destination: the primary takes the largest, not the sum
    aggregator: 'max',
    help: '1 while the destination is drained (dispatcher.drain)',
    labelNames,
    registers: [reg],
    collect() {
      this.reset();
      each(ds, (l, d) => this.set(l, ds.lb.drains.isDraining(d) ? 1 : 0));
    },
  });
  new Gauge<L>({
    name: 'dsd_dispatcher_destination_active_dialogs',
    help: 'Dialogs from INVITE 2xx to BYE (or alg 10 call load when higher)',
    labelNames,
    registers: [reg],
    collect() {
      this.reset();
      each(ds, (l, d) => this.set(l, activeDialogs(ds, d)));
    },
  });
  new Gauge<L>({
    name: 'dsd_dispatcher_destination_slow_start_ratio',
    // every worker reports the same destination: the primary takes the largest, not the sum
    aggregator: 'max',
    help: 'Share factor while ramping up after coming back (1 = full)',
    labelNames,
    registers: [reg],
    collect() {
      this.reset();
      const now = Date.now();
      each(ds, (l, d) => this.set(l, ds.lb.slowStart.factor(d, now)));
    },
  });
}
