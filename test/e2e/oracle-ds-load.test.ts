/**
 * Call-load distribution (algorithm 10) over SIP, dsd against Kamailio 5.6 on the same cfg:
 * an INVITE takes one load unit on the destination it is sent to (keyed by Call-ID, seen as
 * RUNTIME/DLGLOAD in dispatcher.list), maxload makes a full destination unselectable,
 * ds_load_unset() releases the unit in a failure_route or on the BYE, and ds_next_dst()
 * moves the unit to the next destination. Every observation (final codes, which backend got
 * each INVITE, DLGLOAD of each destination after each step) must be the same on both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePorts } from '../helpers/ports';
import { UdpPeer, makeResponse, headerValues, statusOf, methodOf, callIdOf, type Received } from '../helpers/sip-peer';
import { observeEach, oracleCfg, same, type Impl, type ProxyUnderTest } from '../helpers/oracle';
import { uacRequest, ackFor, type UacRequest } from '../helpers/sip-uac';
import { waitUntil } from '../helpers/wait';

// The R-URI user picks the failure_route: "unset" releases the load there, "next" fails over
// (the load moves), "unsetnext" releases and then tries to fail over, "keep" does neither.
const ROUTE = `
request_route {
  if (has_totag()) {
    if (loose_route()) {
      if (is_method("BYE")) {
        if (ds_load_unset()) { xlog("L_INFO", "LOAD unset on BYE $ci\\n"); }
        else { xlog("L_INFO", "LOAD unset failed on BYE $ci\\n"); }
      }
      t_relay();
      exit;
    }
    if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
    sl_send_reply("404", "Not here");
    exit;
  }
  if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
  if (!is_method("INVITE")) { sl_send_reply("405", "Only INVITE"); exit; }
  record_route();
  if (!ds_select_dst("1", "10")) { sl_send_reply("503", "All full"); exit; }
  switch ($rU) {
  case "unset": t_on_failure("UNSET"); break;
  case "next": t_on_failure("NEXT"); break;
  case "unsetnext": t_on_failure("UNSET_NEXT"); break;
  }
  t_relay();
  exit;
}
failure_route[UNSET] {
  ds_load_unset();
}
failure_route[NEXT] {
  if (ds_next_dst()) { t_relay(); exit; }
}
failure_route[UNSET_NEXT] {
  ds_load_unset();
  if (ds_next_dst()) { t_relay(); exit; }
  t_reply("500", "No next after unset");
}`;

const PARAMS = [
  'modparam("tm", "fr_timer", 15000)',
  'modparam("tm", "fr_inv_timer", 15000)',
  'modparam("dispatcher", "flags", 2)',
  'modparam("dispatcher", "ds_hash_size", 9)',
  'modparam("dispatcher", "xavp_dst", "_dsdst_")',
];

/** DLGLOAD of each destination of set 1, by duid, from dispatcher.list (kamcmd or dsctl text). */
function loads(p: ProxyUnderTest): Record<string, number> {
  const r = p.ctl('dispatcher.list');
  assert.equal(r.code, 0, r.err);
  const out: Record<string, number> = {};
  let duid = '';
  for (const line of r.out.split('\n')) {
    const [k, v] = line.trim().split(': ');
    if (k === 'DUID') duid = v!;
    else if (k === 'DLGLOAD') out[duid] = Number(v);
  }
  return out;
}

/** What the caller and the backends saw of one INVITE. */
interface Step {
  final: number;
  /** Backends (by duid) that got the INVITE, in arrival order. */
  tried: string[];
  /** DLGLOAD by duid once the transaction is over. */
  load: Record<string, number>;
}

interface Bench {
  p: ProxyUnderTest;
  /** Backends (by duid) that answer INVITEs 486 (the others 200). */
  busy: Set<string>;
  /** Sends an INVITE for `user`, ACKs the final, returns what was seen. */
  invite(user: string): Promise<Step & { req: UacRequest; response: string }>;
  /** BYE in the dialog of a 2xx (through the proxy, by the Record-Route); returns DLGLOAD after. */
  bye(call: { req: UacRequest; response: string }): Promise<Record<string, number>>;
}

/**
 * Backends a (duid=a) and b (duid=b), maxload 1 each. A backend in `busy` answers an INVITE
 * 486, the others 200 (Contact + the Record-Route it got); BYE 200.
 */
async function withBench<T>(run: (b: Bench) => Promise<T>): Promise<Map<Impl, T>> {
  const [px, ua, pa, pb] = (await freePorts(4)) as [number, number, number, number];
  const list = `1 sip:127.0.0.1:${pa} 0 0 duid=a;maxload=1\n1 sip:127.0.0.1:${pb} 0 0 duid=b;maxload=1\n`;
  return observeEach({ cfg: oracleCfg(px, ROUTE, PARAMS), list }, async (p) => {
    const peers: UdpPeer[] = [];
    const arrivals: Array<{ duid: string; callId: string }> = [];
    const busy = new Set<string>();
    try {
      const uac = await UdpPeer.open({ host: '127.0.0.1', port: ua });
      peers.push(uac);
      for (const [duid, port] of [
        ['a', pa],
        ['b', pb],
      ] as const) {
        const peer = await UdpPeer.open({
          host: '127.0.0.1',
          port,
          answer: (m: Received) => {
            const method = methodOf(m.text);
            if (method === 'ACK' || statusOf(m.text) !== 0) return null;
            if (method !== 'INVITE') return makeResponse(m.text, 200, 'OK', [], `uas-${duid}`);
            if (busy.has(duid)) return makeResponse(m.text, 486, 'Busy Here', [], `uas-${duid}`);
            const rr = headerValues(m.text, 'record-route').map((v) => `Record-Route: ${v}`);
            return makeResponse(m.text, 200, 'OK', [...rr, `Contact: <sip:uas@127.0.0.1:${port}>`], `uas-${duid}`);
          },
        });
        peer.onMessage((m) => {
          if (methodOf(m.text) === 'INVITE' && statusOf(m.text) === 0)
            arrivals.push({ duid, callId: callIdOf(m.text) ?? '' });
        });
        peers.push(peer);
      }
      const bench: Bench = {
        p,
        busy,
        async invite(user) {
          const req = uacRequest(ua, { ruri: `sip:${user}@127.0.0.1:${px}` });
          const mark = uac.received.length;
          await uac.send(req.text, px);
          const fin = await uac.waitFor(
            (m) => callIdOf(m.text) === req.callId && statusOf(m.text) >= 200,
            60_000,
            mark,
          );
          const final = statusOf(fin.text);
          if (final >= 300) await uac.send(ackFor(req, fin.text), px);
          else await uac.send(ackIn(req, fin.text), px);
          const tried = arrivals
            .filter((x) => x.callId === req.callId)
            .map((x) => x.duid)
            .filter((d, i, all) => all.indexOf(d) === i);
          return { final, tried, load: loads(p), req, response: fin.text };
        },
        async bye(call) {
          const b = inDialog('BYE', call.req, call.response, 2);
          const mark = uac.received.length;
          await uac.send(b, px);
          await uac.waitFor((m) => callIdOf(m.text) === call.req.callId && statusOf(m.text) >= 200, 60_000, mark);
          // the BYE's 200 is relayed after the request route ran: the load is released by now
          return waitUntil(() => loads(p), { what: 'dispatcher.list' });
        },
      };
      return await run(bench);
    } finally {
      for (const x of peers) await x.close();
    }
  });
}

/** A request inside the dialog a 2xx set up: to the Contact, through the Record-Route. */
function inDialog(method: string, req: UacRequest, ok: string, cseq: number): string {
  const routes = headerValues(ok, 'record-route').reverse();
  const contact = /<([^>]+)>/.exec(headerValues(ok, 'contact')[0] ?? '')?.[1] ?? req.ruri;
  const via = req.via.replace(req.branch, `${req.branch}-${method.toLowerCase()}${cseq}`);
  return (
    [
      `${method} ${contact} SIP/2.0`,
      via,
      'Max-Forwards: 70',
      `From: <sip:alice@127.0.0.1>;tag=${req.fromTag}`,
      `To: ${headerValues(ok, 'to')[0]}`,
      `Call-ID: ${req.callId}`,
      `CSeq: ${method === 'ACK' ? req.cseq : cseq} ${method}`,
      ...routes.map((r) => `Route: ${r}`),
      'Content-Length: 0',
    ].join('\r\n') + '\r\n\r\n'
  );
}

const ackIn = (req: UacRequest, ok: string): string => inDialog('ACK', req, ok, req.cseq);

const opts = { timeout: 180_000 };
const brief = ({ final, tried, load }: Step): Step => ({ final, tried, load });

test(
  'alg 10: each answered call holds a unit of its destination; a full set answers 503; the BYE with ds_load_unset frees it',
  opts,
  async () => {
    const d = same(
      await withBench(async ({ invite, bye }) => {
        const c1 = await invite('alice');
        const c2 = await invite('bob');
        const full = await invite('carol');
        const afterBye = await bye(c1);
        const c4 = await invite('dave');
        return { c1: brief(c1), c2: brief(c2), full: brief(full), afterBye, c4: brief(c4) };
      }),
    );
    // a set's destinations are ordered last line first: with equal loads b comes first
    assert.deepEqual(d.c1.load, { a: 0, b: 1 }, 'the first call loads the least loaded, last listed');
    assert.deepEqual(d.c2.load, { a: 1, b: 1 });
    assert.deepEqual(d.c2.tried, ['a']);
    assert.equal(d.full.final, 503, 'both at maxload: ds_select_dst fails');
    assert.deepEqual(d.full.tried, []);
    assert.deepEqual(d.afterBye, { a: 1, b: 0 });
    assert.deepEqual(d.c4.tried, ['b'], 'the freed destination takes the next call');
  },
);

test('alg 10: a rejected call keeps its unit unless ds_load_unset releases it in the failure_route', opts, async () => {
  const d = same(
    await withBench(async ({ invite, busy }) => {
      busy.add('a').add('b');
      const kept = await invite('keep');
      const unset = await invite('unset');
      return { kept: brief(kept), unset: brief(unset) };
    }),
  );
  assert.equal(d.kept.final, 486);
  assert.deepEqual(d.kept.load, { a: 0, b: 1 }, 'a rejected call nobody released still counts');
  assert.equal(d.unset.final, 486);
  assert.deepEqual(d.unset.tried, ['a']);
  assert.deepEqual(d.unset.load, { a: 0, b: 1 }, "ds_load_unset released a's unit");
});

test(
  'alg 10: ds_next_dst moves the unit to the next destination; after ds_load_unset it has none to move and fails',
  opts,
  async () => {
    const d = same(
      await withBench(async ({ invite, busy, bye }) => {
        busy.add('b');
        const next = await invite('next');
        const afterBye = await bye(next);
        const unsetNext = await invite('unsetnext');
        return { next: brief(next), afterBye, unsetNext: brief(unsetNext) };
      }),
    );
    assert.equal(d.next.final, 200);
    assert.deepEqual(d.next.tried, ['b', 'a']);
    assert.deepEqual(d.next.load, { a: 1, b: 0 });
    assert.deepEqual(d.afterBye, { a: 0, b: 0 });
    assert.deepEqual(d.unsetNext, { final: 500, tried: ['b'], load: { a: 0, b: 0 } });
  },
);
