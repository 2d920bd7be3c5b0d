/**
 * Every dispatcher algorithm over real SIP: a UA sends requests through dsd (running
 * test/fixtures/cfg/ds-select.cfg: `ds_select_dst(X-Set, X-Alg[, X-Limit])`, t_relay,
 * ds_next_dst on 500/timeout, ds_load_update on BYE and 2xx) to three recording UDP
 * backends, and the test checks which backend got each request.
 *
 * The expected destination is computed here, independently of dsd's selection code: the
 * array order Kamailio builds (priority descending, equal priorities in reverse file
 * order), the skip rules (I and D skipped, the search wraps inside the first N entries),
 * the round-robin counter (`last` = chosen + 1, shared with alg 5's fallback), the
 * weight/rweight slot counts, call load (lowest load, ties to the lowest index, maxload)
 * and the failover walk (array order from the pick, wrapping, skipping inactive ones).
 * Only the hash function itself comes from dsd (dsHash, checked against Kamailio 5.6.3's
 * 1350 golden vectors by test/unit/dispatcher/hash.test.ts).
 *
 * Every case runs against dsd and against Kamailio 5.6 (`kamailio`, `kamcmd`; required in
 * CI, skipped with a reason elsewhere when missing) in the same run; the one dsd-only case
 * (alg 64, Kamailio 6.0) is skipped on Kamailio. The cases of a describe block share one
 * proxy but each starts from a reloaded list, in an order drawn from the run's seed.
 */
import { describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { impls, startImpl, type Impl, type ProxyUnderTest } from '../helpers/oracle';
import { freePorts } from '../helpers/ports';
import { shuffledCases, testSeed } from '../helpers/order';
import { waitUntil } from '../helpers/wait';
import { FIXTURES } from '../helpers/sipp';
import {
  UdpPeer,
  Received,
  makeResponse,
  methodOf,
  statusOf,
  callIdOf,
  header,
  headerValues,
} from '../helpers/sip-peer';
import { dsHash } from '../../src/modules/dispatcher/hash';
import { at, must } from '../helpers/at';

// ---- the proxy under test (dsd, or Kamailio as the oracle) ------------------------

type Proxy = ProxyUnderTest;

async function startProxy(impl: Impl, cfg: string, list: string, defines: string[]): Promise<Proxy> {
  return startImpl(impl, { cfg, list, defines });
}

function ctlOk(p: Proxy, ...args: string[]): string {
  const r = p.ctl(...args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}${r.out}`);
  return r.out;
}

/** Destinations of `dispatcher.list` (kamcmd text): set, URI, FLAGS, DLGLOAD. */
function listDests(text: string): Array<{ set: number; uri: string; flags: string; load: number | null }> {
  const out: Array<{ set: number; uri: string; flags: string; load: number | null }> = [];
  let set = -1;
  for (const line of text.split('\n')) {
    const [k, ...rest] = line.trim().split(': ');
    const v = rest.join(': ');
    if (k === 'ID') set = Number(v);
    else if (k === 'URI') out.push({ set, uri: v, flags: '', load: null });
    else if (k === 'FLAGS') at(out, out.length - 1).flags = v;
    else if (k === 'DLGLOAD') at(out, out.length - 1).load = Number(v);
  }
  return out;
}

// ---- the backends -----------------------------------------------------------------

type Mode = 'ok' | '500' | 'silent';

/** Three recording backends; every request any of them gets lands in one ordered log. */
class Backends {
  readonly modes: Mode[] = ['ok', 'ok', 'ok'];
  readonly log: Array<{ b: number; m: Received }> = [];

  constructor(readonly peers: UdpPeer[]) {
    peers.forEach((p, b) => {
      p.onMessage((m) => {
        if (statusOf(m.text) === 0) this.log.push({ b, m });
      });
      p.answerer = (req) => this.answer(b, req);
    });
  }

  static async open(ports: number[]): Promise<Backends> {
    return new Backends(await Promise.all(ports.map((port) => UdpPeer.open({ host: '127.0.0.1', port }))));
  }

  uri(b: number): string {
    return `sip:127.0.0.1:${at(this.peers, b).port}`;
  }

  private answer(b: number, req: Received): Buffer | null {
    const method = methodOf(req.text);
    if (method === 'ACK' || this.modes[b] === 'silent') return null;
    if (this.modes[b] === '500' && method !== 'BYE') return makeResponse(req.text, 500, 'Server Error');
    const extra = headerValues(req.text, 'record-route').map((v) => `Record-Route: ${v}`);
    if (method === 'INVITE') extra.push(`Contact: <sip:b${b}@127.0.0.1:${at(this.peers, b).port}>`);
    return makeResponse(req.text, 200, 'OK', extra);
  }

  /** Backends that got a request (not ACK) with this Call-ID, in order of first arrival. */
  hits(callId: string, method?: string): number[] {
    const out: number[] = [];
    for (const { b, m } of this.log) {
      if (callIdOf(m.text) !== callId || methodOf(m.text) === 'ACK') continue;
      if (method && methodOf(m.text) !== method) continue;
      if (!out.includes(b)) out.push(b);
    }
    return out;
  }

  /** The first copy backend `b` got of this Call-ID. */
  copy(callId: string, b: number): Received | undefined {
    return this.log.find((x) => x.b === b && callIdOf(x.m.text) === callId)?.m;
  }

  reset(): void {
    this.modes.fill('ok');
  }

  close(): Promise<void[]> {
    return Promise.all(this.peers.map((p) => p.close()));
  }
}

// ---- the UA -----------------------------------------------------------------------

interface Req {
  set: number;
  alg: number;
  limit?: number;
  method?: string;
  /** R-URI user. */
  user?: string;
  fromUri?: string;
  toUri?: string;
  callId?: string;
  headers?: string[];
}

interface Outcome {
  callId: string;
  status: number;
  final: Received;
  /** Backends in order of first arrival. */
  hits: number[];
}

let seq = 0;

class Ua {
  constructor(
    readonly peer: UdpPeer,
    readonly px: number,
    readonly bk: Backends,
  ) {}

  private text(
    r: Required<Pick<Req, 'method' | 'user' | 'fromUri' | 'toUri' | 'callId'>> & Req,
    branch: string,
  ): string {
    return (
      `${r.method} sip:${r.user}@127.0.0.1:${this.px} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${this.peer.port};branch=${branch}\r\n` +
      `From: <${r.fromUri}>;tag=f${branch.slice(7)}\r\n` +
      `To: <${r.toUri}>\r\n` +
      `Call-ID: ${r.callId}\r\n` +
      `CSeq: 1 ${r.method}\r\n` +
      'Max-Forwards: 70\r\n' +
      (r.method === 'INVITE' ? `Contact: <sip:ua@127.0.0.1:${this.peer.port}>\r\n` : '') +
      `X-Set: ${r.set}\r\nX-Alg: ${r.alg}\r\n` +
      (r.limit !== undefined ? `X-Limit: ${r.limit}\r\n` : '') +
      (r.headers ?? []).map((h) => `${h}\r\n`).join('') +
      'Content-Length: 0\r\n\r\n'
    );
  }

  /** Sends one request, waits for its final response (ACKs a non-2xx one to an INVITE). */
  async send(req: Req, ms = 30_000): Promise<Outcome> {
    const n = ++seq;
    const r = {
      method: 'MESSAGE',
      user: `u${n}`,
      fromUri: `sip:alice${n}@example.com`,
      toUri: `sip:bob${n}@example.net`,
      callId: `ds-${n}-${Date.now()}@ua`,
      ...req,
    };
    const branch = `z9hG4bKua${n}x${Date.now()}`;
    const from = this.peer.received.length;
    await this.peer.send(this.text(r, branch), this.px);
    const final = await this.peer.waitFor((m) => callIdOf(m.text) === r.callId && statusOf(m.text) >= 200, ms, from);
    const status = statusOf(final.text);
    if (r.method === 'INVITE' && status >= 300) {
      await this.peer.send(
        `ACK sip:${r.user}@127.0.0.1:${this.px} SIP/2.0\r\n` +
          `Via: SIP/2.0/UDP 127.0.0.1:${this.peer.port};branch=${branch}\r\n` +
          `From: ${header(final.text, 'from')}\r\nTo: ${header(final.text, 'to')}\r\n` +
          `Call-ID: ${r.callId}\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
        this.px,
      );
    }
    return { callId: r.callId, status, final, hits: this.bk.hits(r.callId) };
  }

  /** ACK then BYE for an answered INVITE, along its Record-Route, through the proxy. */
  async hangup(o: Outcome): Promise<number> {
    const rr = headerValues(o.final.text, 'record-route');
    const contact = /<([^>]+)>/.exec(header(o.final.text, 'contact') ?? '')?.[1];
    assert.ok(contact && rr.length, `2xx without Contact/Record-Route:\n${o.final.text}`);
    const route = rr.map((v) => `Route: ${v}\r\n`).join('');
    const common =
      `From: ${header(o.final.text, 'from')}\r\nTo: ${header(o.final.text, 'to')}\r\n` +
      `Call-ID: ${o.callId}\r\n${route}Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
    const via = (b: string): string => `Via: SIP/2.0/UDP 127.0.0.1:${this.peer.port};branch=z9hG4bK${b}\r\n`;
    await this.peer.send(`ACK ${contact} SIP/2.0\r\n${via(`ack${++seq}`)}CSeq: 1 ACK\r\n${common}`, this.px);
    const from = this.peer.received.length;
    await this.peer.send(`BYE ${contact} SIP/2.0\r\n${via(`bye${++seq}`)}CSeq: 2 BYE\r\n${common}`, this.px);
    const fin = await this.peer.waitFor(
      (m) => callIdOf(m.text) === o.callId && statusOf(m.text) >= 200 && /BYE$/.test(header(m.text, 'cseq') ?? ''),
      3000,
      from,
    );
    return statusOf(fin.text);
  }
}

// ---- Kamailio's selection, modelled here ------------------------------------------

interface Entry {
  b: number;
  priority: number;
  attrs?: string;
}

/** Array order: priority descending, equal priorities in reverse file order. */
function arrayOrder(file: Entry[]): Entry[] {
  return file
    .map((e, i) => ({ e, i }))
    .sort((x, y) => y.e.priority - x.e.priority || y.i - x.i)
    .map((x) => x.e);
}

/** The hash → index step with the skip loop; null when everything is skipped. */
function pickIndex(hash: number, nr: number, skipped: readonly boolean[], useDefault = false): number | null {
  const n = useDefault && nr !== 1 ? nr - 1 : nr;
  const start = hash % n;
  let i = start;
  while (skipped[i]) {
    i = (i + 1) % n;
    if (i === start) return useDefault && !skipped[nr - 1] ? nr - 1 : null;
  }
  return i;
}

/** Failover order (the `_dsdst_` records): the pick, then array order, wrapping. */
function failoverWalk(
  i: number,
  nr: number,
  skipped: readonly boolean[],
  useDefault = false,
  limit = Infinity,
): number[] {
  const out = [i];
  for (let k = 1; k < nr && out.length < limit; k++) {
    const j = (i + k) % nr;
    if (skipped[j] || (useDefault && j === nr - 1)) continue;
    out.push(j);
  }
  if (useDefault && i !== nr - 1 && out.length < limit) out.push(nr - 1);
  return out;
}

/** The per-set round-robin counter (alg 4, 64, and alg 5 without credentials). */
class RoundRobin {
  last = 0;
  pick(nr: number, skipped: readonly boolean[], useDefault = false): number | null {
    const hash = this.last;
    this.last = (this.last + 1) % nr;
    const i = pickIndex(hash, nr, skipped, useDefault);
    if (i !== null) this.last = (i + 1) % nr;
    return i;
  }
}

/** Hash keys of a SIP URI for algs 1/2/3: user, and host or the literal host:port. */
function uriKeys(uri: string): [string, string] {
  const m = /^sips?:(?:([^@]*)@)?([^:;>]+)(?::(\d+))?/.exec(uri);
  assert.ok(m, uri);
  const def = uri.startsWith('sips:') ? '5061' : '5060';
  const [, user = '', host, port] = m;
  assert.ok(host !== undefined, uri);
  return [user, port !== undefined && port !== def ? `${host}:${port}` : host];
}

/** How many of 100 weight slots each array index gets (alg 9, Kamailio's fill). */
function weightSlots(arr: Entry[], attr: string): number[] {
  const w = arr.map((e) => Number(new RegExp(`${attr}=(\\d+)`).exec(e.attrs ?? '')?.[1] ?? 0));
  const slots = arr.map(() => 0);
  if (w[0] === 0) {
    slots[0] = 100;
    return slots;
  }
  let used = 0;
  for (let j = 0; j < arr.length && used < 100; j++) {
    const wj = at(w, j);
    const k = Math.min(wj >= 1 && wj <= 100 ? wj : 0, 100 - used);
    slots[j] = at(slots, j) + k;
    used += k;
  }
  slots[arr.length - 1] = at(slots, -1) + 100 - used;
  return slots;
}

/** Slots of the relative-weight table (alg 11) over the non-skipped entries. */
function rweightSlots(arr: Entry[], skipped: readonly boolean[]): number[] {
  const w = arr.map((e) => Number(/rweight=(\d+)/.exec(e.attrs ?? '')?.[1] ?? 0));
  const slots = arr.map(() => 0);
  const sum = w.reduce((a, x, j) => a + (skipped[j] ? 0 : x), 0);
  let used = 0;
  let lastWritten = arr.length - 1;
  for (let j = 0; j < arr.length; j++) {
    if (skipped[j]) continue;
    const k = Math.floor((at(w, j) * 100) / sum);
    slots[j] = at(slots, j) + k;
    used += k;
    if (k > 0) lastWritten = j;
  }
  slots[lastWritten] = at(slots, lastWritten) + 100 - used;
  return slots;
}

/** Picks of a 100-slot table when skipped entries fall through to the next index. */
function throughSkips(slots: number[], skipped: readonly boolean[]): number[] {
  const out = slots.map(() => 0);
  slots.forEach((k, j) => {
    const i = pickIndex(j, slots.length, skipped);
    if (i !== null) out[i] = at(out, i) + k;
  });
  return out;
}

function count(hits: number[], nr: number): number[] {
  const c = Array.from({ length: nr }, () => 0);
  for (const h of hits) c[h] = at(c, h, 'backend') + 1;
  return c;
}

// ---- the list ---------------------------------------------------------------------

/** Every set of the test list, in file order (b = backend 0..2). */
const SETS: Record<number, Entry[]> = {
  // round robin, parallel forking, unknown algs
  1: [
    { b: 0, priority: 0 },
    { b: 1, priority: 0 },
    { b: 2, priority: 0 },
  ],
  // hashes, priority, failover: array order [b1, b2, b0]
  2: [
    { b: 0, priority: 5 },
    { b: 1, priority: 10 },
    { b: 2, priority: 5 },
  ],
  // weight summing to 100
  3: [
    { b: 0, priority: 0, attrs: 'weight=50' },
    { b: 1, priority: 0, attrs: 'weight=30' },
    { b: 2, priority: 0, attrs: 'weight=20' },
  ],
  // weight summing to 80: the rest goes to the last array entry
  4: [
    { b: 0, priority: 0, attrs: 'weight=10' },
    { b: 1, priority: 0, attrs: 'weight=30' },
    { b: 2, priority: 0, attrs: 'weight=40' },
  ],
  // relative weight
  5: [
    { b: 0, priority: 0, attrs: 'rweight=50' },
    { b: 1, priority: 0, attrs: 'rweight=30' },
    { b: 2, priority: 0, attrs: 'rweight=20' },
  ],
  // call load
  6: [
    { b: 0, priority: 0, attrs: 'duid=b0;maxload=2' },
    { b: 1, priority: 0, attrs: 'duid=b1;maxload=1' },
    { b: 2, priority: 0, attrs: 'duid=b2;maxload=2' },
  ],
  // latency: two at the highest priority
  7: [
    { b: 0, priority: 5 },
    { b: 1, priority: 5 },
    { b: 2, priority: 0 },
  ],
  // random
  8: [
    { b: 0, priority: 0 },
    { b: 1, priority: 0 },
    { b: 2, priority: 0 },
  ],
};

function listText(bk: Backends): string {
  let s = '# setid destination flags priority attrs\n';
  for (const [set, entries] of Object.entries(SETS)) {
    for (const e of entries) s += `${set} ${bk.uri(e.b)} 0 ${e.priority}${e.attrs ? ' ' + e.attrs : ''}\n`;
  }
  return s;
}

function fixtureCfg(px: number): string {
  return fs.readFileSync(path.join(FIXTURES, 'cfg', 'ds-select.cfg'), 'utf8').replaceAll('{PX}', String(px));
}

// ---- the environment shared by a describe block ------------------------------------

interface Env {
  proxy: Proxy;
  bk: Backends;
  ua: Ua;
}

async function openEnv(impl: Impl, defines: string[] = []): Promise<Env> {
  const [px, b0, b1, b2] = await freePorts(4);
  const bk = await Backends.open([b0, b1, b2]);
  const peer = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
  let proxy: Proxy;
  try {
    proxy = await startProxy(impl, fixtureCfg(px!), listText(bk), defines);
  } catch (e) {
    await bk.close();
    await peer.close();
    throw e;
  }
  return { proxy, bk, ua: new Ua(peer, px, bk) };
}

async function closeEnv(e: Env | undefined): Promise<void> {
  if (!e) return;
  await e.ua.peer.close();
  await e.bk.close();
  await e.proxy.stop();
}

/** Array of a set (backend per index). */
const arr = (set: number): Entry[] => arrayOrder(must(SETS[set], `set ${set}`));
const backendsOf = (set: number, idx: number[]): number[] => idx.map((i) => at(arr(set), i).b);

/** Runs `fn` with the given array indexes of `set` marked inactive (IP), then restores. */
async function withInactive(
  env: Env,
  set: number,
  idx: number[],
  fn: (skipped: boolean[]) => Promise<void>,
): Promise<void> {
  const skipped = arr(set).map((_, i) => idx.includes(i));
  for (const i of idx) ctlOk(env.proxy, 'dispatcher.set_state', 'ip', String(set), env.bk.uri(at(arr(set), i).b));
  try {
    await fn(skipped);
  } finally {
    ctlOk(env.proxy, 'dispatcher.set_state', 'a', String(set), 'all');
  }
}

/** A fresh list: counters (round robin, weight index) start at 0 again. */
function reload(env: Env): void {
  assert.match(ctlOk(env.proxy, 'dispatcher.reload'), /Ok\. Dispatcher successfully reloaded\./);
}

// =====================================================================================

for (const impl of impls()) {
  describe(`${impl}: dispatcher algorithms over SIP`, { timeout: 120_000 }, () => {
    let env: Env;
    const none = [false, false, false];
    // Every case stands alone: it starts from a reloaded list (Kamailio rebuilds the sets
    // from the file: states from its flags, round-robin and weight counters and loads at 0)
    // with every backend answering 200, and the cases run in an order drawn from the seed.
    const { it, register } = shuffledCases(testSeed());

    before(async () => {
      env = await openEnv(impl);
    });
    after(async () => {
      await closeEnv(env);
    });
    beforeEach(() => {
      env.bk.reset();
      reload(env);
    });

    it('round robin (4): array order, one step per call; an inactive entry is skipped without being consumed twice', async () => {
      const rr = new RoundRobin();
      const seqOf = async (n: number, skipped: boolean[]): Promise<void> => {
        const want: number[] = [];
        const got: number[] = [];
        for (let k = 0; k < n; k++) {
          want.push(at(arr(1), rr.pick(3, skipped)!).b);
          const o = await env.ua.send({ set: 1, alg: 4 });
          assert.equal(o.status, 200);
          assert.equal(o.hits.length, 1);
          got.push(at(o.hits, 0));
        }
        assert.deepEqual(got, want);
      };
      await seqOf(4, none);
      await withInactive(env, 1, [1], async (skipped) => {
        await seqOf(6, skipped);
      });
      await withInactive(env, 1, [0], async (skipped) => {
        await seqOf(5, skipped);
      });
      await seqOf(4, none);
      // a reload starts the counter at the first entry again
      reload(env);
      const o = await env.ua.send({ set: 1, alg: 4 });
      assert.deepEqual(o.hits, [at(arr(1), 0).b]);
    });

    it('round robin with every entry inactive fails the select (404 from the cfg)', async () => {
      await withInactive(env, 1, [0, 1, 2], async () => {
        const o = await env.ua.send({ set: 1, alg: 4 });
        assert.equal(o.status, 404);
        assert.deepEqual(o.hits, []);
      });
    });

    // alg 64 came with Kamailio 6.0 (overload control); 5.6.3 knows no 64 and takes it for an
    // unknown algorithm (the first active entry, as the case below shows for both)
    it(
      'alg 64 is round robin (overload control off)',
      { skip: impl === 'kamailio' && 'alg 64 is Kamailio 6.0+: 5.6.3 treats it as unknown' },
      async () => {
        const got: number[] = [];
        for (let k = 0; k < 6; k++) got.push(at((await env.ua.send({ set: 1, alg: 64 })).hits, 0, 'hit'));
        assert.deepEqual(got, backendsOf(1, [0, 1, 2, 0, 1, 2]));
      },
    );

    it('an unknown algorithm takes the first active entry', async () => {
      for (let k = 0; k < 3; k++) assert.deepEqual((await env.ua.send({ set: 2, alg: 99 })).hits, backendsOf(2, [0]));
      await withInactive(env, 2, [0], async () => {
        assert.deepEqual((await env.ua.send({ set: 2, alg: 99 })).hits, backendsOf(2, [1]));
      });
    });

    // ---- hashes ----

    interface HashCase {
      alg: number;
      name: string;
      /** The request for value k (round r: Call-IDs must not repeat), and the hash Kamailio computes from it. */
      make: (k: number, r: number) => { req: Partial<Req>; hash: number };
    }

    /** URIs with no port, the default port and another port (host:port is hashed then). */
    const portVariant = (k: number): string => at(['', ':5060', ':5070'], k % 3);

    const HASHES: HashCase[] = [
      {
        alg: 0,
        name: 'Call-ID',
        make: (k, r) => {
          const callId = `hash-r${r}-k${k}@ua`;
          return { req: { callId }, hash: dsHash(callId) };
        },
      },
      {
        alg: 1,
        name: 'From URI (user + host[:port])',
        make: (k) => {
          const fromUri = `sip:from${k}@example${k % 4}.com${portVariant(k)}`;
          const [u, h] = uriKeys(fromUri);
          return { req: { fromUri }, hash: dsHash(u, h) };
        },
      },
      {
        alg: 2,
        name: 'To URI (user + host[:port])',
        make: (k) => {
          const toUri = `sip:to${k}@example${k % 5}.net${portVariant(k + 1)}`;
          const [u, h] = uriKeys(toUri);
          return { req: { toUri }, hash: dsHash(u, h) };
        },
      },
      {
        alg: 3,
        name: 'R-URI (user + 127.0.0.1:port)',
        make: (k) => {
          const user = `ruser${k * 7}`;
          return { req: { user }, hash: dsHash(user, `127.0.0.1:${env.ua.px}`) };
        },
      },
      {
        alg: 5,
        name: 'auth username (Proxy-Authorization before Authorization, user part)',
        make: (k) => {
          const cred = (u: string): string =>
            `Digest username="${u}", realm="example.com", nonce="n${k}", uri="sip:x", response="00"`;
          const user = `auth${k}`;
          const headers =
            k % 2 === 0
              ? [`Authorization: ${cred(`${user}@example.com`)}`]
              : [`Authorization: ${cred('other')}`, `Proxy-Authorization: ${cred(user)}`];
          return { req: { headers }, hash: dsHash(user) };
        },
      },
      {
        alg: 7,
        name: 'hash_pvar "$fU"',
        make: (k) => {
          const u = `pvar${k * 13}`;
          return { req: { fromUri: `sip:${u}@example.org` }, hash: dsHash(u) };
        },
      },
    ];

    for (const hc of HASHES) {
      it(`hash ${hc.alg}, ${hc.name}: hash % 3 in array order; an inactive entry hands its share to the next`, async () => {
        let round = 0;
        const check = async (skipped: boolean[]): Promise<void> => {
          round++;
          const got: number[] = [];
          const want: number[] = [];
          let landedOnSkipped = 0;
          for (let k = 0; k < 12; k++) {
            const { req, hash } = hc.make(k, round);
            want.push(at(arr(2), pickIndex(hash, 3, skipped)!).b);
            if (skipped[hash % 3]) landedOnSkipped++;
            const o = await env.ua.send({ set: 2, alg: hc.alg, ...req });
            assert.equal(o.status, 200);
            got.push(at(o.hits, 0));
          }
          assert.deepEqual(got, want);
          // with all active, more than one destination is used, or the hash was not looked at
          if (!skipped.includes(true)) assert.ok(new Set(got).size > 1, `all ${got.length} requests on one backend`);
          // and with one down, some requests hashed onto it (so the skip was exercised)
          else assert.ok(landedOnSkipped > 0, 'no request hashed onto the inactive entry');
        };
        await check(none);
        await withInactive(env, 2, [1], (s) => check(s));
        await withInactive(env, 2, [2], (s) => check(s));
      });
    }

    it('hash 5 without credentials falls back to round robin, sharing the counter with alg 4', async () => {
      const rr = new RoundRobin();
      const steps: Array<{ alg: number; auth?: string }> = [
        { alg: 4 },
        { alg: 5 },
        { alg: 5, auth: 'carol' },
        { alg: 4 },
        { alg: 5 },
        { alg: 5, auth: 'dave' },
        { alg: 5 },
      ];
      for (const s of steps) {
        const headers = s.auth
          ? [`Authorization: Digest username="${s.auth}", realm="r", nonce="n", uri="sip:x", response="0"`]
          : [];
        const i = s.auth ? pickIndex(dsHash(s.auth), 3, none)! : rr.pick(3, none)!;
        const o = await env.ua.send({ set: 1, alg: s.alg, headers });
        assert.deepEqual(o.hits, [at(arr(1), i).b], `alg ${s.alg}${s.auth ? ' ' + s.auth : ''}`);
      }
    });

    // ---- priority, weights, random ----

    it('priority (8): the highest priority first, the next one when it is inactive', async () => {
      for (let k = 0; k < 3; k++) assert.deepEqual((await env.ua.send({ set: 2, alg: 8 })).hits, backendsOf(2, [0]));
      await withInactive(env, 2, [0], async () => {
        assert.deepEqual((await env.ua.send({ set: 2, alg: 8 })).hits, backendsOf(2, [1]));
      });
      await withInactive(env, 2, [0, 1], async () => {
        assert.deepEqual((await env.ua.send({ set: 2, alg: 8 })).hits, backendsOf(2, [2]));
      });
    });

    /** Array indexes picked by `n` requests, in order. */
    async function picks(set: number, alg: number, n: number): Promise<number[]> {
      const got: number[] = [];
      for (let k = 0; k < n; k++) {
        const o = await env.ua.send({ set, alg });
        assert.equal(o.status, 200);
        got.push(arr(set).findIndex((e) => e.b === o.hits[0]));
      }
      return got;
    }

    const distribution = async (set: number, alg: number, n: number): Promise<number[]> =>
      count(await picks(set, alg, n), 3);

    /** Changes of destination between consecutive picks (a shuffled 20/30/50 table has ~60). */
    const runs = (p: number[]): number => p.filter((x, k) => k > 0 && x !== p[k - 1]).length;

    it('weight (9): every 100 calls follow the 100-slot table exactly (shuffled order), inactive slots fall to the next entry', async () => {
      // 50/30/20 (array order 20/30/50), in shuffled order rather than in blocks
      const p = await picks(3, 9, 100);
      assert.deepEqual(count(p, 3), weightSlots(arr(3), 'weight'));
      assert.ok(runs(p) > 20, `weight picks not shuffled: ${p.join('')}`);
      // 10/30/40: the 20 slots left over go to the last array entry
      const partial = weightSlots(arr(4), 'weight');
      assert.deepEqual(partial, [40, 30, 30]);
      assert.deepEqual(await distribution(4, 9, 100), partial);
      // the table is not rebuilt on a state change: the inactive entry's slots go to the next index
      await withInactive(env, 3, [1], async (s) => {
        assert.deepEqual(await distribution(3, 9, 100), throughSkips(weightSlots(arr(3), 'weight'), s));
      });
    });

    it('relative weight (11): 100 calls follow the table; it is rebuilt over the active entries when one goes down', async () => {
      const p = await picks(5, 11, 100);
      assert.deepEqual(count(p, 3), rweightSlots(arr(5), none));
      assert.ok(runs(p) > 20, `rweight picks not shuffled: ${p.join('')}`);
      await withInactive(env, 5, [1], async (s) => {
        const want = rweightSlots(arr(5), s);
        assert.deepEqual(want, [28, 0, 72]);
        assert.deepEqual(await distribution(5, 11, 100), want);
      });
    });

    it('random (6): each of 3 entries gets a third of 300 calls within bounds; an inactive one gets none', async () => {
      const c = await distribution(8, 6, 300);
      // binomial(300, 1/3): sd ≈ 8.2, the bounds are 6 sd away
      for (const x of c) assert.ok(x >= 50 && x <= 150, `random split ${c}`);
      await withInactive(env, 8, [1], async () => {
        const d = await distribution(8, 6, 150);
        assert.equal(d[1], 0);
        // index 1's third falls to index 2: about 50 / 100
        assert.ok(at(d, 0) >= 20 && at(d, 0) <= 80 && at(d, 2) >= 70, `random split with index 1 down ${d}`);
      });
    });

    // ---- call load ----

    it('call load (10): lowest load first (ties to the lowest index), maxload respected, BYE releases via ds_load_update', async () => {
      const a = arr(6);
      const maxload = a.map((e) => Number(/maxload=(\d+)/.exec(e.attrs!)![1]));
      const load = [0, 0, 0];
      const pick = (): number | null => {
        let best: number | null = null;
        for (let i = 0; i < 3; i++)
          if (at(load, i) < at(maxload, i) && (best === null || at(load, i) < at(load, best))) best = i;
        return best;
      };
      const calls: Array<{ o: Outcome; i: number }> = [];
      const loads = (): number[] => {
        const d = listDests(ctlOk(env.proxy, 'dispatcher.list')).filter((x) => x.set === 6);
        return a.map((e) => d.find((x) => x.uri === env.bk.uri(e.b))!.load!);
      };
      const invite = async (): Promise<void> => {
        const want = pick();
        const o = await env.ua.send({ set: 6, alg: 10, method: 'INVITE' });
        if (want === null) {
          assert.equal(o.status, 404, 'every destination at maxload');
          assert.deepEqual(o.hits, []);
          return;
        }
        assert.equal(o.status, 200);
        assert.deepEqual(o.hits, [at(a, want).b]);
        load[want] = at(load, want) + 1;
        calls.push({ o, i: want });
      };
      for (let k = 0; k < 6; k++) await invite();
      assert.deepEqual(loads(), load);
      assert.deepEqual(load, maxload, 'five calls fill the set, the sixth was refused');
      // hang up the call on the maxload=1 entry: the next call goes there
      const c1 = calls.find((c) => c.i === 1)!;
      assert.equal(await env.ua.hangup(c1.o), 200);
      assert.deepEqual(env.bk.hits(c1.o.callId, 'BYE'), [at(a, 1).b], "the BYE went to the call's backend");
      load[1] = at(load, 1) - 1;
      assert.deepEqual(loads(), load);
      await invite();
      assert.deepEqual(at(calls, calls.length - 1).i, 1);
      // hang everything up: every load back to 0
      for (const c of calls)
        if (c !== c1) {
          assert.equal(await env.ua.hangup(c.o), 200);
          load[c.i] = at(load, c.i) - 1;
        }
      assert.deepEqual(loads(), [0, 0, 0]);
      // non-INVITE requests are not load-balanced: hash 0, the first active entry
      for (let k = 0; k < 2; k++) assert.deepEqual((await env.ua.send({ set: 6, alg: 10 })).hits, [at(a, 0).b]);
      assert.deepEqual(loads(), [0, 0, 0]);
    });

    // ---- parallel, latency ----

    it('parallel forking (12): one request reaches every entry from the first active one on (states not checked for the rest)', async () => {
      // the final reply can overtake a branch still on its way: wait for the branches expected
      const forked = async (n: number): Promise<number[]> => {
        const o = await env.ua.send({ set: 1, alg: 12 });
        assert.equal(o.status, 200);
        await waitUntil(() => env.bk.hits(o.callId).length >= n, { what: `${n} branches` });
        return [...env.bk.hits(o.callId)].sort();
      };
      assert.deepEqual(await forked(3), [0, 1, 2]);
      // the first entry down: the rest is forked
      await withInactive(env, 1, [0], async () => {
        assert.deepEqual(await forked(2), backendsOf(1, [1, 2]).sort());
      });
      // a later entry down: still forked to, as Kamailio does
      await withInactive(env, 1, [1], async () => {
        assert.deepEqual(await forked(3), [0, 1, 2]);
      });
    });

    it('latency (13) with equal (no) latencies: round robin among the highest priority', async () => {
      const got: number[] = [];
      for (let k = 0; k < 6; k++) got.push(at((await env.ua.send({ set: 7, alg: 13 })).hits, 0, 'hit'));
      assert.deepEqual(got, backendsOf(7, [0, 1, 0, 1, 0, 1]));
      // the lower priority one only when both are down
      await withInactive(env, 7, [0, 1], async () => {
        assert.deepEqual((await env.ua.send({ set: 7, alg: 13 })).hits, backendsOf(7, [2]));
      });
    });

    // ---- failover ----

    /** A fresh Call-ID whose alg-0 pick over 3 entries is index `i`. */
    let foSeq = 0;
    const callIdFor = (i: number): string => {
      for (;;) {
        const id = `fo-${++foSeq}-${Date.now()}@ua`;
        if (dsHash(id) % 3 === i) return id;
      }
    };

    it('failover with 500s: ds_next_dst walks the array from the pick, wrapping; the UA gets the last 500', async () => {
      try {
        env.bk.modes.fill('500');
        const o = await env.ua.send({ set: 2, alg: 8, method: 'INVITE' });
        assert.equal(o.status, 500);
        assert.deepEqual(o.hits, backendsOf(2, failoverWalk(0, 3, none)));
        // the records the cfg saw: 3 destinations
        assert.equal(header(env.bk.copy(o.callId, at(arr(2), 0).b)!.text, 'x-ds-cnt'), '3');
        for (const start of [1, 2]) {
          const h = await env.ua.send({ set: 2, alg: 0, method: 'INVITE', callId: callIdFor(start) });
          assert.deepEqual(h.hits, backendsOf(2, failoverWalk(start, 3, none)), `from index ${start}`);
        }
      } finally {
        env.bk.reset();
      }
    });

    it('failover on 500, then a timeout (fr_timer), then a 200; inactive entries are not in the walk', async () => {
      const a = arr(2);
      try {
        const walk = failoverWalk(1, 3, none);
        env.bk.modes[at(a, at(walk, 0)).b] = '500';
        env.bk.modes[at(a, at(walk, 1)).b] = 'silent';
        const o = await env.ua.send({ set: 2, alg: 0, method: 'INVITE', callId: callIdFor(1) });
        assert.equal(o.status, 200);
        assert.deepEqual(o.hits, backendsOf(2, walk));
        env.bk.reset();
        env.bk.modes.fill('500');
        await withInactive(env, 2, [2], async (s) => {
          const h = await env.ua.send({ set: 2, alg: 0, method: 'INVITE', callId: callIdFor(1) });
          assert.deepEqual(h.hits, backendsOf(2, failoverWalk(1, 3, s)));
          assert.equal(h.hits.length, 2);
        });
        // everything times out: 408 after the whole walk
        env.bk.modes.fill('silent');
        const t = await env.ua.send({ set: 2, alg: 8, method: 'INVITE', callId: 'all-silent@ua' });
        assert.equal(t.status, 408);
        assert.deepEqual(t.hits, backendsOf(2, failoverWalk(0, 3, none)));
      } finally {
        env.bk.reset();
      }
    });

    it('the limit argument caps the failover records', async () => {
      try {
        env.bk.modes.fill('500');
        const o = await env.ua.send({ set: 2, alg: 8, limit: 2, method: 'INVITE' });
        assert.equal(o.status, 500);
        assert.deepEqual(o.hits, backendsOf(2, failoverWalk(0, 3, none, false, 2)));
        assert.equal(header(env.bk.copy(o.callId, at(arr(2), 0).b)!.text, 'x-ds-cnt'), '2');
        const one = await env.ua.send({ set: 2, alg: 8, limit: 1, method: 'INVITE' });
        assert.deepEqual(one.hits, backendsOf(2, [0]));
      } finally {
        env.bk.reset();
      }
    });

    register();
  });

  describe(`${impl}: dispatcher use_default=1 over SIP`, { timeout: 60_000 }, () => {
    let env: Env;
    before(async () => {
      env = await openEnv(impl, ['USE_DEFAULT']);
    });
    after(async () => {
      await closeEnv(env);
    });
    const { it, register } = shuffledCases(testSeed());

    it('the last array entry is only a fallback: round robin over the others, the default when they are down, last in failover', async () => {
      const none = [false, false, false];
      const rr = new RoundRobin();
      const got: number[] = [];
      const want: number[] = [];
      for (let k = 0; k < 4; k++) {
        want.push(at(arr(1), rr.pick(3, none, true)!).b);
        got.push(at((await env.ua.send({ set: 1, alg: 4 })).hits, 0, 'hit'));
      }
      assert.deepEqual(got, want);
      assert.ok(!got.includes(at(arr(1), 2).b), 'the default entry is not in the rotation');
      await withInactive(env, 1, [0, 1], async (s) => {
        assert.deepEqual((await env.ua.send({ set: 1, alg: 4 })).hits, [at(arr(1), pickIndex(0, 3, s, true)!).b]);
        assert.deepEqual((await env.ua.send({ set: 1, alg: 8 })).hits, [at(arr(1), 2).b]);
      });
      // priority 8 with 500s everywhere: the other entry, then the default
      try {
        env.bk.modes.fill('500');
        const o = await env.ua.send({ set: 1, alg: 8, method: 'INVITE' });
        assert.deepEqual(o.hits, backendsOf(1, failoverWalk(0, 3, none, true)));
        assert.equal(header(env.bk.copy(o.callId, at(arr(1), 0).b)!.text, 'x-ds-cnt'), '3');
      } finally {
        env.bk.reset();
      }
    });

    register();
  });
}
