/**
 * Dispatcher script functions over real SIP (test/fixtures/cfg/ds-functions.cfg; the
 * R-URI user picks the branch): ds_is_from_list in its forms, accepting requests sent
 * from a backend's own address; ds_list_exists, ds_is_active and the `_dsdst_` /
 * `_dsctx_` XAVPs read by the script and copied into headers of the forwarded request;
 * ds_select_domain rewriting the R-URI; ds_select_routes over two sets; ds_mark_dst in a
 * failure_route taking a destination out (seen in dispatcher.list, skipped afterwards).
 *
 * Every case runs against dsd and against Kamailio 5.6 (the oracle, required in CI) with
 * the same cfg and list, each on a freshly started proxy: no case depends on another
 * (round-robin cursors and marked states start fresh).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { freePorts } from '../helpers/ports';
import { FIXTURES } from '../helpers/sipp';
import { UdpPeer, Received, makeResponse, methodOf, statusOf, callIdOf, header, startLine } from '../helpers/sip-peer';
import { impls, startImpl, type Impl, type ProxyUnderTest } from '../helpers/oracle';

/** FLAGS of each destination of a set in `dispatcher.list` (kamcmd text), by URI. */
function flagsOf(text: string, set: number): Record<string, string> {
  const out: Record<string, string> = {};
  let cur = -1;
  let uri = '';
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(': ');
    if (v === undefined) continue;
    if (k === 'ID') cur = Number(v);
    else if (k === 'URI') uri = v;
    else if (k === 'FLAGS' && cur === set) out[uri] = v;
  }
  return out;
}

type Mode = 'ok' | '500' | 'silent';

interface Bench {
  proxy: ProxyUnderTest;
  /** b0..b2: recording backends; peers[3] ("x") is listed only in sets 5 and 6. */
  peers: UdpPeer[];
  modes: Mode[];
  ua: UdpPeer;
  uri(b: number): string;
  /** Sends a MESSAGE for `user` from `from` (a peer's own socket); returns the final reply. */
  send(user: string, from?: UdpPeer): Promise<{ callId: string; final: Received }>;
  /** Backends (0..2) that got this Call-ID, in arrival order, with their first copy. */
  copies(callId: string): Array<{ b: number; m: Received }>;
}

let seq = 0;

/** A fresh proxy (`impl`) with four backends and a UA, stopped after `fn` whatever happens. */
async function withBench(impl: Impl, fn: (b: Bench) => Promise<void>, defines: string[] = []): Promise<void> {
  const ports = await freePorts(6);
  const px = ports[0]!;
  const peers: UdpPeer[] = [];
  const modes: Mode[] = ['ok', 'ok', 'ok', 'ok'];
  let ua: UdpPeer | null = null;
  let proxy: ProxyUnderTest | null = null;
  // arrival order over all backends (Date.now() ties within a millisecond)
  const arrivals: Array<{ b: number; m: Received }> = [];
  try {
    for (let b = 0; b < 4; b++) {
      const p = await UdpPeer.open({ host: '127.0.0.1', port: ports[b + 1]! });
      p.answerer = (req: Received) => {
        const m = methodOf(req.text);
        if (m === 'ACK' || modes[b] === 'silent') return null;
        return modes[b] === '500' ? makeResponse(req.text, 500, 'Server Error') : makeResponse(req.text, 200, 'OK');
      };
      p.onMessage((m) => {
        if (statusOf(m.text) === 0) arrivals.push({ b, m });
      });
      peers.push(p);
    }
    ua = await UdpPeer.open({ host: '127.0.0.1', port: ports[5]! });
    const uri = (b: number): string => `sip:127.0.0.1:${peers[b]!.port}`;
    const list = [
      `1 ${uri(0)} 0 0 duid=b0;tag=one`,
      `1 ${uri(1)} 0 0`,
      `1 ${uri(2)} 0 0`,
      `2 ${uri(1)} 0 0`,
      `2 ${uri(2)} 0 5 tag=two`,
      `3 ${uri(1)} 0 0`,
      `3 ${uri(0)} 0 0`,
      `4 ${uri(2)} 1 0`,
      `5 ${uri(3)} 0 0 tag=five`,
      `6 ${uri(3)} 0 0 tag=six`,
      '',
    ].join('\n');
    let cfg = fs.readFileSync(path.join(FIXTURES, 'cfg', 'ds-functions.cfg'), 'utf8').replaceAll('{PX}', String(px));
    for (let b = 0; b < 3; b++) cfg = cfg.replaceAll(`{B${b}}`, String(peers[b]!.port));
    proxy = await startImpl(impl, { cfg, list, defines });
    const theUa = ua;
    const bench: Bench = {
      proxy,
      peers,
      modes,
      ua: theUa,
      uri,
      async send(user, from = theUa) {
        const callId = `fn-${++seq}-${Date.now()}@ds`;
        const text =
          `MESSAGE sip:${user}@127.0.0.1:${px} SIP/2.0\r\n` +
          `Via: SIP/2.0/UDP 127.0.0.1:${from.port};branch=z9hG4bKfn${seq}x${Date.now()}\r\n` +
          `From: <sip:alice@example.com>;tag=f${seq}\r\nTo: <sip:${user}@example.net>\r\n` +
          `Call-ID: ${callId}\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
        const mark = from.received.length;
        await from.send(text, px);
        const final = await from.waitFor((m) => callIdOf(m.text) === callId && statusOf(m.text) >= 200, 30_000, mark);
        return { callId, final };
      },
      copies(callId) {
        const seen = new Set<number>();
        return arrivals.filter((x) => x.b < 3 && callIdOf(x.m.text) === callId && !seen.has(x.b) && seen.add(x.b));
      },
    };
    await fn(bench);
  } catch (e) {
    throw new Error(
      `${impl}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n--- ${impl} output (tail) ---\n${proxy?.output().slice(-3000) ?? ''}`,
    );
  } finally {
    await ua?.close();
    for (const p of peers) await p.close();
    await proxy?.stop();
  }
}

const opts = { timeout: 120_000 };

for (const impl of impls()) {
  // ---- ds_is_from_list ----

  test(
    `${impl}: ds_is_from_list("1"): a request from a backend's ip:port is accepted, from elsewhere refused`,
    opts,
    () =>
      withBench(impl, async ({ send, peers, ua }) => {
        for (const b of [0, 1, 2])
          assert.equal(startLine((await send('from', peers[b])).final.text), 'SIP/2.0 200 From set 1');
        assert.equal(startLine((await send('from', ua)).final.text), 'SIP/2.0 403 Not from list');
        // peers[3] is listed, but not in set 1
        assert.equal(startLine((await send('from', peers[3])).final.text), 'SIP/2.0 403 Not from list');
      }),
  );

  test(
    `${impl}: ds_is_from_list() over all sets: the first match in set (AVL post-) order fills setid_pvname and attrs_pvname`,
    opts,
    () =>
      withBench(impl, async ({ send, peers, ua }) => {
        // sets 1..6 inserted in order make an AVL tree walked 1,3,2,6,5,4: set 6 before set 5
        assert.equal(startLine((await send('fromany', peers[3])).final.text), 'SIP/2.0 200 From set 6 attrs tag=six');
        assert.equal(
          startLine((await send('fromany', peers[0])).final.text),
          'SIP/2.0 200 From set 1 attrs duid=b0;tag=one',
        );
        assert.equal(startLine((await send('fromany', ua)).final.text), 'SIP/2.0 403 Not from list');
      }),
  );

  test(
    `${impl}: ds_is_from_list modes: 3 ignores the port, 6 takes active destinations only, a URI argument replaces the source`,
    opts,
    () =>
      withBench(impl, async ({ send, peers, ua }) => {
        assert.equal(startLine((await send('fromip', ua)).final.text), 'SIP/2.0 200 Address in set 1');
        // set 4 holds b2 with flags 1 (inactive)
        assert.equal(startLine((await send('fromactive', peers[2])).final.text), 'SIP/2.0 299 Inactive in set 4');
        assert.equal(startLine((await send('fromuri', ua)).final.text), 'SIP/2.0 200 URI in set 1');
      }),
  );

  // ---- records readable in the script ----

  test(
    `${impl}: ds_list_exists, ds_is_active and $xavp(_dsdst_=>uri|grp|attrs), $xavp(_dsctx_=>cnt) after ds_select_dst`,
    opts,
    () =>
      withBench(impl, async ({ send, copies, uri }) => {
        const { callId, final } = await send('info');
        assert.equal(statusOf(final.text), 200);
        const c = copies(callId);
        // set 1 array order is b2, b1, b0 (reverse file order); a fresh round robin starts at b2
        assert.deepEqual(
          c.map((x) => x.b),
          [2],
        );
        const got = c[0]!.m.text;
        assert.equal(
          header(got, 'x-checks'),
          'exists1:yes,exists9:no,active1:yes,active4:no,activeB0:yes,active4B2:no',
        );
        assert.equal(header(got, 'x-du'), uri(2));
        assert.equal(header(got, 'x-dst'), `${uri(2)}|${uri(1)}|${uri(0)}|<null>|<null>|<null>`);
        assert.equal(header(got, 'x-grp'), '1|1|1|<null>|<null>|<null>');
        assert.equal(header(got, 'x-attrs'), '<null>|<null>|duid=b0;tag=one');
        assert.equal(header(got, 'x-cnt'), '3');
      }),
  );

  test(`${impl}: ds_select_domain rewrites the R-URI host:port (user kept, $du untouched)`, opts, () =>
    withBench(impl, async ({ send, copies, peers }) => {
      const { callId, final } = await send('domain');
      assert.equal(statusOf(final.text), 200);
      const c = copies(callId);
      assert.deepEqual(
        c.map((x) => x.b),
        [2],
      );
      assert.equal(startLine(c[0]!.m.text), `MESSAGE sip:domain@127.0.0.1:${peers[2]!.port} SIP/2.0`);
      assert.equal(header(c[0]!.m.text, 'x-du'), '<null>');
    }),
  );

  test(`${impl}: ds_select_routes("1=4;2=8", "d"): $du from the first rule, records of both sets, one cnt`, opts, () =>
    withBench(impl, async ({ send, copies, uri }) => {
      const { callId, final } = await send('routes');
      assert.equal(statusOf(final.text), 200);
      const c = copies(callId);
      // set 1's fresh round robin starts at b2; set 2 by priority: b2 (5), b1 (0)
      assert.deepEqual(
        c.map((x) => x.b),
        [2],
      );
      const got = c[0]!.m.text;
      assert.equal(header(got, 'x-du'), uri(2));
      assert.equal(header(got, 'x-dst'), `${uri(2)}|${uri(1)}|${uri(0)}|${uri(2)}|${uri(1)}|<null>`);
      assert.equal(header(got, 'x-grp'), '1|1|1|2|2|<null>');
      assert.equal(header(got, 'x-cnt'), '5');
    }),
  );

  // ---- ds_mark_dst ----

  test(
    `${impl}: ds_mark_dst("ip") on a timeout: the destination shows IP in dispatcher.list and later calls skip it`,
    opts,
    () =>
      withBench(impl, async ({ send, copies, proxy, uri, modes }) => {
        modes[0] = 'silent';
        // set 3 by priority: b0 first (reverse file order), then b1
        const first = await send('mark');
        assert.equal(statusOf(first.final.text), 200);
        assert.deepEqual(
          copies(first.callId).map((x) => x.b),
          [0, 1],
        );
        const listed = proxy.ctl('dispatcher.list');
        assert.equal(listed.code, 0, listed.err);
        assert.deepEqual(flagsOf(listed.out, 3), { [uri(0)]: 'IP', [uri(1)]: 'AX' });
        // b0 stays in sets 1 (active) untouched
        assert.equal(flagsOf(listed.out, 1)[uri(0)], 'AX');
        for (let k = 0; k < 3; k++) {
          const r = await send('mark');
          assert.equal(statusOf(r.final.text), 200);
          assert.deepEqual(
            copies(r.callId).map((x) => x.b),
            [1],
          );
        }
      }),
  );

  test(`${impl}: ds_mark_dst() on a 500: inactive (IX) without probing (ds_probing_mode 0)`, opts, () =>
    withBench(impl, async ({ send, copies, proxy, uri, modes }) => {
      modes[0] = '500';
      const r = await send('mark500');
      assert.equal(statusOf(r.final.text), 200);
      assert.deepEqual(
        copies(r.callId).map((x) => x.b),
        [0, 1],
      );
      assert.deepEqual(flagsOf(proxy.ctl('dispatcher.list').out, 3), { [uri(0)]: 'IX', [uri(1)]: 'AX' });
      const again = await send('mark500');
      assert.deepEqual(
        copies(again.callId).map((x) => x.b),
        [1],
      );
    }),
  );

  // ---- ds_next_domain, ds_set_dst/ds_set_domain, $dsg, ds_oc_set_attrs, ds_reload ----

  test(`${impl}: ds_next_domain in a failure_route moves the R-URI host:port to the next destination`, opts, () =>
    withBench(impl, async ({ send, copies, peers, modes }) => {
      modes[2] = '500';
      const r = await send('nextdomain');
      assert.equal(statusOf(r.final.text), 200);
      const c = copies(r.callId);
      assert.deepEqual(
        c.map((x) => x.b),
        [2, 1],
      );
      assert.equal(startLine(c[1]!.m.text), `MESSAGE sip:nextdomain@127.0.0.1:${peers[1]!.port} SIP/2.0`);
    }),
  );

  test(`${impl}: ds_set_dst and ds_set_domain set $du and the R-URI again from the current record`, opts, () =>
    withBench(impl, async ({ send, copies, uri, peers }) => {
      const r = await send('setdst');
      assert.equal(statusOf(r.final.text), 200);
      const c = copies(r.callId);
      // set 2 by priority: b2 (5) first
      assert.deepEqual(
        c.map((x) => x.b),
        [2],
      );
      const got = c[0]!.m.text;
      assert.equal(header(got, 'x-du-before'), '<null>');
      assert.equal(header(got, 'x-du-after'), uri(2));
      assert.equal(header(got, 'x-ruri'), `sip:setdst@127.0.0.1:${peers[2]!.port}`);
    }),
  );

  test(`${impl}: ds_reload() from the script loads the rewritten list file`, opts, () =>
    withBench(impl, async ({ send, proxy, uri }) => {
      const file = path.join(proxy.dir, 'dispatcher.list');
      fs.appendFileSync(file, `7 ${uri(1)} 0 0\n`);
      assert.doesNotMatch(proxy.ctl('dispatcher.list').out, /ID: 7\n/);
      const r = await send('reload');
      assert.equal(startLine(r.final.text), 'SIP/2.0 200 Reloaded');
      assert.match(proxy.ctl('dispatcher.list').out, /ID: 7\n/);
    }),
  );
}

// Functions of later Kamailio releases (ds_dsg_fetch, ds_dsg_fetch_uri and $dsg: 5.8;
// ds_oc_set_attrs: 6.0; ds_mark_addr: 6.1, checked in Kamailio's git tags): the oracle
// (Debian's 5.6.3) refuses the cfg, so these run on dsd only, with the values those
// releases' source gives (pv_get_dsg: pactive = active * 100 / count, integer division;
// ds_mark_addr: 1 when the address is in the set, -1 when not). README, "Deliberate differences".
const DSG = ['DSD_KAMAILIO_NEWER'];

test('dsd: ds_dsg_fetch fills $dsg(count|active|inactive|pactive|pinactive) (Kamailio 5.8)', opts, () =>
  withBench(
    'dsd',
    async ({ send }) => {
      const r = await send('dsg');
      assert.equal(
        startLine(r.final.text),
        'SIP/2.0 200 set1 count=3 active=3 inactive=0 pactive=100; set4 count=1 active=0 pinactive=100',
      );
    },
    DSG,
  ),
);

test(
  "dsd: ds_oc_set_attrs sets a destination's overload-control rate, read back with ds_dsg_fetch_uri (Kamailio 6.0)",
  opts,
  () =>
    withBench(
      'dsd',
      async ({ send }) => {
        const r = await send('oc');
        assert.equal(startLine(r.final.text), 'SIP/2.0 200 ocrate=70 ocseq=5');
      },
      DSG,
    ),
);

test(
  'dsd: ds_mark_addr(state, set, uri) marks that destination; an address not in the set is false (Kamailio 6.1)',
  opts,
  () =>
    withBench(
      'dsd',
      async ({ send, proxy, uri }) => {
        const r = await send('markaddr');
        assert.equal(startLine(r.final.text), 'SIP/2.0 200 Marked');
        assert.deepEqual(flagsOf(proxy.ctl('dispatcher.list').out, 3), { [uri(0)]: 'IP', [uri(1)]: 'AX' });
      },
      DSG,
    ),
);

test(
  'kamailio: 5.6 refuses the cfg with the later functions (why the three cases above are dsd only)',
  { ...opts, skip: !impls().includes('kamailio') && 'kamailio not installed' },
  async () => {
    await assert.rejects(
      withBench('kamailio', async () => {}, DSG),
      /failed to find command ds_dsg_fetch/,
    );
  },
);
