/**
 * TEMPORARY stand-in for the dispatcher engine (src/modules/dispatcher): round robin
 * over one set read from a Kamailio list file, array order as Kamailio builds it
 * (priority descending, equal priorities in reverse file order), failover in array order.
 */
import fs from 'node:fs';
import type { Balancer } from './builtin-route';
import type { RequestContext } from '../proxy/context';

interface Rec { uri: string; prio: number }

export class SimpleBalancer implements Balancer {
  private sets = new Map<number, string[]>();
  private last = new Map<number, number>();

  constructor(private readonly file: string) {
    this.reload();
  }

  reload(): void {
    const bySet = new Map<number, Rec[]>();
    for (const raw of fs.readFileSync(this.file, 'utf8').split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const f = line.split(/\s+/);
      const set = Number(f[0]) || 0;
      const uri = f[1].split('#')[0];
      const prio = Number(f[3] ?? 0) || 0;
      const list = bySet.get(set) ?? [];
      // stable ascending insert, then reversed: Kamailio's array order
      let i = 0;
      while (i < list.length && list[i].prio <= prio) i++;
      list.splice(i, 0, { uri, prio });
      bySet.set(set, list);
    }
    this.sets = new Map([...bySet].map(([k, v]) => [k, v.reverse().map((r) => r.uri)]));
    this.last.clear();
  }

  selectDst(ctx: RequestContext, set: number, alg: number): number {
    void alg;
    const list = this.sets.get(set);
    if (!list || list.length === 0) return -1;
    const i = this.last.get(set) ?? 0;
    this.last.set(set, (i + 1) % list.length);
    const order: string[] = [];
    for (let k = 0; k < list.length; k++) order.push(list[(i + k) % list.length]);
    ctx.mod.ds = order;
    ctx.du = order[0];
    return 1;
  }

  nextDst(ctx: RequestContext): number {
    const order = ctx.mod.ds as string[] | undefined;
    if (!order || order.length < 2) return -1;
    order.shift();
    ctx.du = order[0];
    return 1;
  }
}
