/**
 * event_route[dispatcher:dst-down] / [dispatcher:dst-up] on the real daemon: each
 * keepalive transition runs its route exactly once (not once per failed probe), with the
 * destination as $ru and $dsv set; admin changes over RPC (set_state d / ap) run nothing,
 * and a disabled destination is neither probed nor reported. With dsd's
 * ds_initial_state_events, every destination's state is reported at start and on reload.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDsd, basicCfg, Dsd } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { UdpPeer, Received, makeResponse, methodOf, statusOf, callIdOf } from '../helpers/sip-peer';
import { callRpc } from '../../src/cli/client';
import { dispatcherRows, type DispatcherListResult } from '../../src/rpc-api/results';
import { dsctlOn as dsctl } from '../helpers/ctl';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const EVENT_ROUTES = `
event_route[dispatcher:dst-down] {
	xlog("L_NOTICE", "DSEVT down $ru set=$dsv(setid) code=$dsv(code)\\n");
}
event_route[dispatcher:dst-up] {
	xlog("L_NOTICE", "DSEVT up $ru set=$dsv(setid) code=$dsv(code)\\n");
}
`;

function cfgWithFr(frMs: number, o: Parameters<typeof basicCfg>[0]): string {
  const base = basicCfg(o);
  const line = /^modparam\("tm", "fr_timer", \d+\)$/m;
  assert.match(base, line);
  return base.replace(line, `modparam("tm", "fr_timer", ${frMs})`);
}

async function flagsOf(dsd: Dsd, uri: string): Promise<string | undefined> {
  const r = (await callRpc(`${dsd.dir}/dsd_ctl`, 'dispatcher.list', undefined, 5000)) as DispatcherListResult;
  return dispatcherRows(r).find((x) => x.dest.URI === uri)?.dest.FLAGS;
}

async function waitFlags(dsd: Dsd, uri: string, flags: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  let last: string | undefined;
  while (Date.now() < until) {
    last = await flagsOf(dsd, uri);
    if (last === flags) return;
    await sleep(50);
  }
  throw new Error(`${uri} never showed ${flags} within ${ms} ms (last ${last})`);
}

/** The event lines the cfg logged: "up|down URI set=N code=C". */
function events(dsd: Dsd): string[] {
  const out: string[] = [];
  for (const m of dsd.output().matchAll(/DSEVT (up|down) (\S+) set=(\d+) code=(\d+)/g))
    out.push(`${m[1]} ${m[2]} set=${m[3]} code=${m[4]}`);
  return out;
}

/** Distinct probes (a retransmission is no new probe). */
const distinctProbes = (b: { probes: Received[] }): number => new Set(b.probes.map((m) => callIdOf(m.text))).size;

/** Waits until `b` has received `n` more probes than now (each a full probe round). */
async function probesOf(b: { probes: Received[] }, n: number): Promise<void> {
  const want = distinctProbes(b) + n;
  const until = Date.now() + 60_000;
  while (distinctProbes(b) < want) {
    if (Date.now() > until) throw new Error(`no ${n} further probes within 60 s`);
    await sleep(50);
  }
}

const count = (lines: string[], dir: 'up' | 'down', uri: string): number =>
  lines.filter((l) => l.startsWith(`${dir} ${uri} `)).length;

/** A backend answering OPTIONS with 200 unless silent. */
async function backend(port: number): Promise<{ peer: UdpPeer; uri: string; silent: boolean; probes: Received[] }> {
  const peer = await UdpPeer.open({ host: '127.0.0.1', port });
  const b = { peer, uri: `sip:127.0.0.1:${port}`, silent: false, probes: [] as Received[] };
  peer.onMessage((m) => {
    if (statusOf(m.text) !== 0 || methodOf(m.text) !== 'OPTIONS') return;
    b.probes.push(m);
    if (!b.silent) peer.sock.send(makeResponse(m.text, 200, 'OK'), m.from.port, m.from.ip);
  });
  return b;
}

test(
  'dst-down / dst-up run once per keepalive transition; never for RPC changes or a disabled destination',
  { timeout: 180_000 },
  async () => {
    const [px, pf, ph, pxd] = await freePorts(4);
    const f = await backend(pf);
    const h = await backend(ph);
    const x = await backend(pxd);
    const dsd = await startDsd({
      // fr_timer 2 s: a probe answered late by a starved peer is no transition; probes every
      // 3 s so one round's probe has ended before the next starts
      cfg: cfgWithFr(2000, {
        listen: [`udp:127.0.0.1:${px}`],
        params: ['modparam("dispatcher", "ds_ping_interval", 3)', 'modparam("dispatcher", "ds_probing_mode", 1)'],
        extra: EVENT_ROUTES,
      }),
      list: `1 ${f.uri} 0 0\n1 ${h.uri} 0 0\n2 ${x.uri} 0 0\n`,
    });
    try {
      for (const b of [f, h, x]) await waitFlags(dsd, b.uri, 'AP');
      assert.deepEqual(events(dsd), [], 'A → AP is no up/down transition');

      // admin changes: disable x and take h through D and back, all over RPC
      for (const args of [
        ['d', '2', x.uri],
        ['d', '1', h.uri],
      ]) {
        const r = dsctl(dsd, 'dispatcher.set_state', ...args);
        assert.equal(r.code, 0, r.err);
      }
      x.silent = true;
      // a probe of x sent before the disable may still land: count from two probe rounds later
      await probesOf(f, 2);
      const r = dsctl(dsd, 'dispatcher.set_state', 'ap', '1', h.uri);
      assert.equal(r.code, 0, r.err);
      // distinct probes: a silent x still gets retransmissions of the last one sent before the disable
      const xProbesAfterDisable = distinctProbes(x);

      // f goes silent for several probes, then answers again
      f.silent = true;
      await waitFlags(dsd, f.uri, 'IP');
      await probesOf(f, 2); // two further failed probes: still one dst-down
      f.silent = false;
      await waitFlags(dsd, f.uri, 'AP');
      await probesOf(h, 2); // two more probe rounds: nothing more is reported

      const ev = events(dsd);
      assert.equal(count(ev, 'down', f.uri), 1, ev.join('\n'));
      assert.equal(count(ev, 'up', f.uri), 1, ev.join('\n'));
      assert.equal(ev.length, 2, `only f's two transitions:\n${ev.join('\n')}`);
      assert.match(ev[0], new RegExp(`^down ${f.uri} set=1 code=408$`));
      assert.match(ev[1], new RegExp(`^up ${f.uri} set=1 code=200$`));
      assert.equal(await flagsOf(dsd, x.uri), 'DX', 'x stays disabled');
      assert.equal(await flagsOf(dsd, h.uri), 'AP');
      assert.equal(distinctProbes(x), xProbesAfterDisable, 'a disabled destination is not probed');
    } finally {
      await dsd.stop();
      for (const b of [f, h, x]) await b.peer.close();
    }
  },
);

test(
  'ds_initial_state_events: every destination reported at start and after a reload (kamailio#4906)',
  { timeout: 90_000 },
  async () => {
    const [px, pa] = await freePorts(2);
    const a = `sip:127.0.0.1:${pa}`;
    const d = 'sip:127.0.0.1:9';
    const dsd = await startDsd({
      cfg: basicCfg({
        listen: [`udp:127.0.0.1:${px}`],
        params: ['modparam("dispatcher", "ds_initial_state_events", 1)'],
        extra: EVENT_ROUTES,
      }),
      list: `1 ${a} 0 0\n3 ${d} 4 0\n`,
    });
    try {
      const until = Date.now() + 30_000;
      while (events(dsd).length < 2 && Date.now() < until) await sleep(50);
      assert.deepEqual(events(dsd).sort(), [`down ${d} set=3 code=0`, `up ${a} set=1 code=0`]);
      const r = dsctl(dsd, 'dispatcher.reload');
      assert.equal(r.code, 0, r.err);
      const until2 = Date.now() + 30_000;
      while (events(dsd).length < 4 && Date.now() < until2) await sleep(50);
      // a fifth report would come with the other four, in the same reload: a control call after it orders us behind it
      assert.equal(dsctl(dsd, 'dispatcher.list').code, 0);
      const ev = events(dsd);
      assert.equal(ev.length, 4, ev.join('\n'));
      assert.deepEqual(ev.slice(2).sort(), [`down ${d} set=3 code=0`, `up ${a} set=1 code=0`]);
    } finally {
      await dsd.stop();
    }
  },
);
