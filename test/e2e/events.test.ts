/**
 * event_route[dispatcher:dst-down] / [dispatcher:dst-up]: each keepalive transition runs
 * its route exactly once (not once per failed probe), with the destination as $ru and
 * $dsv(code) set; admin changes over RPC (set_state d / ap) run nothing, and a disabled destination is
 * neither probed nor reported. The first case runs on dsd and on Kamailio 5.6 (the oracle)
 * with the same cfg and must log the same events on both.
 *
 * dsd extension (README, "Deliberate differences"): with ds_initial_state_events, every
 * destination's state is reported at start and on reload; Kamailio 5.6 has no such
 * parameter, so that case runs on dsd only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDsd, basicCfg } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { UdpPeer, Received, makeResponse, methodOf, statusOf, headerValues } from '../helpers/sip-peer';
import { dsctlOn as dsctl } from '../helpers/ctl';
import { waitUntil } from '../helpers/wait';
import { destFlags, observeEach, oracleCfg, same } from '../helpers/oracle';

/** Kamailio 5.6's $dsv has code, reason and flags only. */
const EVENT_ROUTES = `
event_route[dispatcher:dst-down] {
	xlog("L_NOTICE", "DSEVT down $ru code=$dsv(code)\\n");
}
event_route[dispatcher:dst-up] {
	xlog("L_NOTICE", "DSEVT up $ru code=$dsv(code)\\n");
}
`;

/** $dsv(setid) is a dsd extension (README, "Deliberate differences"). */
const EVENT_ROUTES_SET = EVENT_ROUTES.replaceAll(' code=', ' set=$dsv(setid) code=');

/** The event lines a proxy logged: "up|down URI [set=N ]code=C". */
function events(output: string): string[] {
  const out: string[] = [];
  for (const m of output.matchAll(/DSEVT (up|down) (\S+) ((?:set=\d+ )?code=\d+)/g))
    out.push(`${m[1]} ${m[2]} ${m[3]}`);
  return out;
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
  'dst-down / dst-up run once per keepalive transition; never for RPC changes or a disabled destination (dsd and Kamailio 5.6)',
  { timeout: 180_000 },
  async () => {
    const [px, pf, ph, pxd] = await freePorts(4);
    const list = `1 sip:127.0.0.1:${pf} 0 0\n1 sip:127.0.0.1:${ph} 0 0\n2 sip:127.0.0.1:${pxd} 0 0\n`;
    const cfg = oracleCfg(px, `${EVENT_ROUTES}\nrequest_route { sl_send_reply("404", "Not here"); }`, [
      // fr_timer 2 s: a probe a starved peer answers late is no transition; probes every 3 s so
      // a round's probe has ended before the next one starts (overlapping probes flap)
      'modparam("tm", "fr_timer", 2000)',
      'modparam("dispatcher", "ds_ping_interval", 3)',
      'modparam("dispatcher", "ds_probing_mode", 1)',
    ]);
    const seen = await observeEach({ cfg, list }, async (p) => {
      const f = await backend(pf);
      const h = await backend(ph);
      const x = await backend(pxd);
      try {
        // every ctl call is async: a blocked event loop would leave the probes unanswered
        const flags = async (b: { uri: string }, set = 1): Promise<string | undefined> =>
          (await destFlags(p))[`${set} ${b.uri}`];
        const waitFlags = (b: { uri: string }, want: string, set = 1): Promise<boolean> =>
          waitUntil(async () => (await flags(b, set)) === want, { what: `${b.uri} ${want}` });
        // probes, not datagrams: a retransmission of an unanswered probe is no new round
        const distinct = (b: { probes: Received[] }): number =>
          new Set(b.probes.map((m) => headerValues(m.text, 'call-id')[0])).size;
        const probed = (b: { probes: Received[] }, n: number): Promise<boolean> =>
          waitUntil(() => distinct(b) >= n, { what: `${n} probes`, timeoutMs: 60_000 });
        await waitFlags(f, 'AP');
        await waitFlags(h, 'AP');
        await waitFlags(x, 'AP', 2);
        const atStart = events(p.output());

        // admin changes: disable x and take h through D and back, all over RPC
        for (const args of [
          ['d', '2', x.uri],
          ['d', '1', h.uri],
        ]) {
          const r = await p.ctlAsync('dispatcher.set_state', ...args);
          assert.equal(r.code, 0, r.err);
        }
        x.silent = true;
        // h was skipped by at least one full round of f's probes while disabled
        await probed(f, distinct(f) + 2);
        const r = await p.ctlAsync('dispatcher.set_state', 'ap', '1', h.uri);
        assert.equal(r.code, 0, r.err);
        const xProbesAfterDisable = distinct(x);

        // f goes silent for several probes, then answers again
        f.silent = true;
        await waitFlags(f, 'IP');
        await probed(f, distinct(f) + 2); // two further failed probes: still one dst-down
        f.silent = false;
        await waitFlags(f, 'AP');
        await probed(f, distinct(f) + 2); // and two answered ones: still one dst-up
        return {
          atStart,
          events: events(p.output()),
          x: await flags(x, 2),
          h: await flags(h),
          xProbed: distinct(x) - xProbesAfterDisable,
        };
      } finally {
        for (const b of [f, h, x]) await b.peer.close();
      }
    });
    const d = same(seen);
    const f = `sip:127.0.0.1:${pf}`;
    assert.deepEqual(d.atStart, [], 'A → AP is no up/down transition');
    assert.equal(count(d.events, 'down', f), 1, d.events.join('\n'));
    assert.equal(count(d.events, 'up', f), 1, d.events.join('\n'));
    assert.deepEqual(d.events, [`down ${f} code=408`, `up ${f} code=200`], "only f's two transitions");
    assert.equal(d.x, 'DX', 'x stays disabled');
    assert.equal(d.h, 'AP');
    assert.equal(d.xProbed, 0, 'a disabled destination is not probed');
  },
);

test(
  'ds_initial_state_events: every destination reported at start and after a reload (kamailio#4906)',
  { timeout: 30_000 },
  async () => {
    const [px, pa] = await freePorts(2);
    const a = `sip:127.0.0.1:${pa}`;
    const d = 'sip:127.0.0.1:9';
    const dsd = await startDsd({
      cfg: basicCfg({
        listen: [`udp:127.0.0.1:${px}`],
        params: ['modparam("dispatcher", "ds_initial_state_events", 1)'],
        extra: EVENT_ROUTES_SET,
      }),
      list: `1 ${a} 0 0\n3 ${d} 4 0\n`,
    });
    try {
      await waitUntil(() => events(dsd.output()).length >= 2, { what: 'two events at start' });
      assert.deepEqual(events(dsd.output()).sort(), [`down ${d} set=3 code=0`, `up ${a} set=1 code=0`]);
      const r = dsctl(dsd, 'dispatcher.reload');
      assert.equal(r.code, 0, r.err);
      // the reload's answer comes after its events ran: a third would already be logged
      await waitUntil(() => events(dsd.output()).length >= 4, { what: 'two events after the reload' });
      const ev = events(dsd.output());
      assert.equal(ev.length, 4, ev.join('\n'));
      assert.deepEqual(ev.slice(2).sort(), [`down ${d} set=3 code=0`, `up ${a} set=1 code=0`]);
    } finally {
      await dsd.stop();
    }
  },
);
