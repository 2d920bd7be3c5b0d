/**
 * The Prometheus endpoint and dispatcher.stats on the real daemon: off by default (the
 * process opens no TCP listener), refused on a non-loopback address unless allowed, and
 * when on, a scrape shows the destination states, transitions, probe results, latency,
 * selections, failovers, SIP/transaction counters and reloads that actually happened.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDsd, basicCfg, REPO, Dsd } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { UdpPeer, Received, makeResponse, methodOf, statusOf, callIdOf } from '../helpers/sip-peer';
import { callRpc } from '../../src/cli/client';
import { dispatcherRows, type DispatcherListResult, type DispatcherStatsEntry } from '../../src/rpc-api/results';
import { dsctlOn as dsctl } from '../helpers/ctl';
import { at } from '../helpers/at';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** TCP ports the process listens on, from /proc (socket inodes of its fds × /proc/net/tcp*). */
function listeningTcpPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(at(m, 1));
    } catch {
      /* fd closed meanwhile */
    }
  }
  const ports: number[] = [];
  for (const file of [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`]) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(at(f, 9))) continue;
      ports.push(parseInt(at(at(f, 1).split(':'), 1), 16));
    }
  }
  return ports;
}

type Samples = Map<string, number>;

async function scrape(port: number): Promise<{ status: number; text: string; samples: Samples }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  const text = await res.text();
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    samples.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return { status: res.status, text, samples };
}

function sample(s: Samples, name: string, labels: Record<string, string> = {}): number {
  const l = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const key = l.length ? `${name}{${l}}` : name;
  const v = s.get(key);
  assert.ok(v !== undefined, `no sample ${key}`);
  return v;
}

interface Backend {
  peer: UdpPeer;
  uri: string;
  /** Distinct keepalives (a retransmission has the same Call-ID). */
  readonly probeIds: Set<string>;
  readonly probes: number;
  messages: Received[];
}

/** OPTIONS get `optionsCode` after `delayMs`; other requests get `otherCode`. */
async function backend(port: number, optionsCode: number, otherCode: number, delayMs = 0): Promise<Backend> {
  const peer = await UdpPeer.open({ host: '127.0.0.1', port });
  const b: Backend = {
    peer,
    uri: `sip:127.0.0.1:${port}`,
    probeIds: new Set(),
    messages: [],
    get probes() {
      return this.probeIds.size;
    },
  };
  peer.onMessage((m) => {
    if (statusOf(m.text) !== 0 || methodOf(m.text) === 'ACK') return;
    const options = methodOf(m.text) === 'OPTIONS';
    if (options) b.probeIds.add(callIdOf(m.text) ?? '');
    else b.messages.push(m);
    const code = options ? optionsCode : otherCode;
    const out = makeResponse(m.text, code, code === 200 ? 'OK' : 'Nope');
    const send = () => peer.sock.send(out, m.from.port, m.from.ip);
    if (options && delayMs > 0) setTimeout(send, delayMs);
    else send();
  });
  return b;
}

async function waitFlags(dsd: Dsd, want: Record<string, string>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  let last = '';
  while (Date.now() < until) {
    const r = (await callRpc(`${dsd.dir}/dsd_ctl`, 'dispatcher.list', undefined, 5000)) as DispatcherListResult;
    const rows = dispatcherRows(r);
    last = rows.map((x) => `${x.dest.URI}=${x.dest.FLAGS}`).join(' ');
    if (Object.entries(want).every(([u, f]) => rows.find((x) => x.dest.URI === u)?.dest.FLAGS === f)) return;
    await sleep(50);
  }
  throw new Error(`states never reached ${JSON.stringify(want)} (last ${last})`);
}

async function sendMessage(uac: UdpPeer, proxyPort: number, i: number): Promise<number> {
  const callId = `m${i}-${Date.now()}@metrics`;
  const from = uac.received.length;
  await uac.send(
    `MESSAGE sip:svc@127.0.0.1:${proxyPort} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};branch=z9hG4bKmet${i}x${Date.now()}\r\n` +
      `Max-Forwards: 70\r\nFrom: <sip:uac@127.0.0.1>;tag=u${i}\r\nTo: <sip:svc@127.0.0.1>\r\n` +
      `Call-ID: ${callId}\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n`,
    proxyPort,
  );
  const r = await uac.waitFor((m) => callIdOf(m.text) === callId && statusOf(m.text) >= 200, 30_000, from);
  return statusOf(r.text);
}

test(
  'metrics are off by default: no TCP listener; a non-loopback address is refused',
  { timeout: 30_000 },
  async () => {
    const [px, pm] = await freePorts(2);
    const dsd = await startDsd({
      cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`], params: ['modparam("dispatcher", "ds_ping_interval", 1)'] }),
      list: `1 sip:127.0.0.1:${px + 1} 0 0\n`,
    });
    try {
      assert.deepEqual(listeningTcpPorts(dsd.proc.pid!), []);
      assert.doesNotMatch(dsd.output(), /metrics endpoint/);
    } finally {
      await dsd.stop();
    }
    await assert.rejects(
      startDsd({
        cfg: basicCfg({
          listen: [`udp:127.0.0.1:${px}`],
          params: [`modparam("dispatcher", "ds_metrics_listen", "0.0.0.0:${pm}")`],
        }),
        list: '',
      }),
      /not a loopback address/,
    );
  },
);

test(
  'a scrape shows states, transitions, probes, latency, calls, failovers, SIP counters and reloads',
  { timeout: 60_000 },
  async () => {
    const [px, pm, pa, pb, pc] = await freePorts(5);
    const a = await backend(pa, 200, 200, 15);
    const b = await backend(pb, 200, 500);
    const c = await backend(pc, 404, 200);
    const uac = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
    const list = `1 ${a.uri} 0 0 duid=gw-a\n1 ${b.uri} 0 0\n1 ${c.uri} 0 0\n`;
    const dsd = await startDsd({
      cfg: basicCfg({
        listen: [`udp:127.0.0.1:${px}`],
        params: [
          'modparam("dispatcher", "ds_ping_interval", 1)',
          'modparam("dispatcher", "ds_probing_mode", 1)',
          'modparam("dispatcher", "ds_ping_latency_stats", 1)',
          'modparam("dispatcher", "ds_retain_latency_stats", 1)',
          'modparam("dispatcher", "reload_delta", 0)',
          `modparam("dispatcher", "ds_metrics_listen", "127.0.0.1:${pm}")`,
          // a late reply from a starved peer is no failover: only b's 500s are
          'modparam("tm", "fr_timer", 15000)',
        ],
      }),
      list,
    });
    try {
      assert.deepEqual(listeningTcpPorts(dsd.proc.pid!), [pm]);
      await waitFlags(dsd, { [a.uri]: 'AP', [b.uri]: 'AP', [c.uri]: 'IP' }, 30_000);
      const ap = a.probes;
      while (a.probes < ap + 2) await sleep(50); // a few more latency samples for a (bounded by the test's deadline)

      // calls: b answers 500, so each call it takes fails over to a
      const calls = 6;
      for (let i = 0; i < calls; i++) assert.equal(await sendMessage(uac, px, i), 200);
      const st = JSON.parse(dsctl(dsd, '--json', 'dispatcher.stats').out) as DispatcherStatsEntry[];
      const of = (u: string) => st.find((e) => e.URI === u)!;
      assert.deepEqual(st.map((e) => e.URI).sort(), [a.uri, b.uri, c.uri].sort());
      assert.equal(of(a.uri).CALLS + of(b.uri).CALLS, calls);
      assert.ok(of(b.uri).CALLS >= 1, JSON.stringify(st));
      assert.equal(of(b.uri).FAILOVERS, of(b.uri).CALLS);
      assert.equal(of(a.uri).FAILOVERS, 0);
      assert.deepEqual([of(c.uri).CALLS, of(c.uri).FAILOVERS], [0, 0]);
      const distinct = (x: Backend) => new Set(x.messages.map((m) => callIdOf(m.text))).size;
      assert.equal(distinct(b), of(b.uri).CALLS);
      assert.equal(distinct(a), calls);

      // reloads: one good, one refused (the running list stays)
      assert.equal(dsctl(dsd, 'dispatcher.reload').code, 0);
      fs.unlinkSync(`${dsd.dir}/dispatcher.list`);
      assert.notEqual(dsctl(dsd, 'dispatcher.reload').code, 0);
      fs.writeFileSync(`${dsd.dir}/dispatcher.list`, list);
      // a reload starts every destination from its file state: c goes down a second time
      await waitFlags(dsd, { [a.uri]: 'AP', [b.uri]: 'AP', [c.uri]: 'IP' }, 30_000);

      // freeze probing so the list and the scrape agree, once every probe sent has its result
      assert.equal(dsctl(dsd, 'dispatcher.ping_active', '0').code, 0);
      const settled = async () => {
        const { samples } = await scrape(pm);
        const at = (labels: string) => samples.get(`dsd_dispatcher_probes_total{${labels}}`) ?? -1;
        return (
          at(`set="1",uri="${a.uri}",duid="gw-a",result="ok"`) === a.probes &&
          at(`set="1",uri="${c.uri}",duid="",result="failed"`) === c.probes &&
          at(`set="1",uri="${b.uri}",duid="",result="ok"`) === b.probes
        );
      };
      const until = Date.now() + 30_000;
      while (!(await settled()) && Date.now() < until) await sleep(100);
      const ds = dispatcherRows(JSON.parse(dsctl(dsd, '--json', 'dispatcher.list').out) as DispatcherListResult);
      const { status, samples: s } = await scrape(pm);
      assert.equal(status, 200);
      const A = { set: '1', uri: a.uri, duid: 'gw-a' },
        B = { set: '1', uri: b.uri, duid: '' },
        C = { set: '1', uri: c.uri, duid: '' };

      assert.equal(sample(s, 'dsd_dispatcher_destination_up', A), 1);
      assert.equal(sample(s, 'dsd_dispatcher_destination_up', C), 0);
      assert.equal(sample(s, 'dsd_dispatcher_destination_state', { ...C, state: 'inactive' }), 1);
      assert.equal(sample(s, 'dsd_dispatcher_destination_state', { ...C, state: 'active' }), 0);
      assert.equal(sample(s, 'dsd_dispatcher_destination_state', { ...A, state: 'active' }), 1);
      assert.equal(sample(s, 'dsd_dispatcher_destination_transitions_total', { ...C, direction: 'down' }), 2);
      assert.equal(sample(s, 'dsd_dispatcher_destination_transitions_total', { ...C, direction: 'up' }), 0);
      assert.equal(sample(s, 'dsd_dispatcher_destination_transitions_total', { ...A, direction: 'down' }), 0);
      // every probe the backends saw got its result counted (none still in flight)
      assert.equal(sample(s, 'dsd_dispatcher_probes_total', { ...A, result: 'ok' }), a.probes);
      assert.equal(sample(s, 'dsd_dispatcher_probes_total', { ...C, result: 'failed' }), c.probes);
      assert.equal(sample(s, 'dsd_dispatcher_probes_total', { ...C, result: 'ok' }), 0);
      const la = ds.find((r) => r.dest.URI === a.uri)!.dest.LATENCY!;
      assert.ok(la.AVG >= 15, `a's AVG ${la.AVG}`);
      assert.equal(sample(s, 'dsd_dispatcher_latency_average_seconds', A), la.AVG / 1000);
      assert.equal(sample(s, 'dsd_dispatcher_latency_estimate_seconds', A), la.EST / 1000);
      assert.equal(sample(s, 'dsd_dispatcher_latency_max_seconds', A), la.MAX / 1000);
      // a answers every probe 15 ms late: none of its round trips can fall under 10 ms,
      // however slow the machine (a lower bound, not a timing)
      const rttCount = sample(s, 'dsd_dispatcher_probe_rtt_seconds_count', { set: '1' });
      assert.ok(rttCount >= a.probes, `${rttCount} round trips, a alone answered ${a.probes}`);
      assert.ok(
        sample(s, 'dsd_dispatcher_probe_rtt_seconds_bucket', { le: '0.01', set: '1' }) <= rttCount - a.probes,
        "a's 15 ms probes are not under 10 ms",
      );
      assert.equal(sample(s, 'dsd_dispatcher_probe_rtt_seconds_bucket', { le: '+Inf', set: '1' }), rttCount);
      // counters survive the reload: same destinations
      assert.equal(sample(s, 'dsd_dispatcher_calls_total', B), of(b.uri).CALLS);
      assert.equal(sample(s, 'dsd_dispatcher_failovers_total', B), of(b.uri).FAILOVERS);
      assert.equal(sample(s, 'dsd_dispatcher_selections_total', { set: '1', alg: '4', result: 'ok' }), calls);
      assert.equal(sample(s, 'dsd_dispatcher_list_changes_total', { kind: 'reload', result: 'ok' }), 1);
      assert.equal(sample(s, 'dsd_dispatcher_list_changes_total', { kind: 'reload', result: 'failed' }), 1);
      assert.equal(sample(s, 'dsd_dispatcher_ping_active'), 0);
      // missed rounds need an event loop stalled for a whole interval: 0 on a healthy machine,
      // possible under a CPU hog, never more than the interval boundaries passed
      const missed = sample(s, 'dsd_dispatcher_keepalive_missed_rounds_total');
      assert.ok(Number.isInteger(missed) && missed >= 0 && missed < sample(s, 'dsd_dispatcher_keepalive_rounds_total'));
      assert.ok(sample(s, 'dsd_dispatcher_keepalive_rounds_total') >= 3);
      assert.equal(sample(s, 'dsd_sip_messages_received_total', { kind: 'request' }), calls);
      assert.equal(sample(s, 'dsd_sip_messages_sent_total', { kind: 'request' }), calls + of(b.uri).CALLS);
      assert.equal(sample(s, 'dsd_sip_messages_sent_total', { kind: 'keepalive' }), a.probes + b.probes + c.probes);
      // received + local = tm.stats total (no series counts another's transactions again)
      assert.equal(sample(s, 'dsd_tm_transactions_total', { origin: 'received' }), calls);
      const tm = JSON.parse(dsctl(dsd, '--json', 'tm.stats').out) as { total: number; total_local: number };
      assert.equal(sample(s, 'dsd_tm_transactions_total', { origin: 'local' }), tm.total_local);
      assert.equal(
        sample(s, 'dsd_tm_transactions_total', { origin: 'received' }) +
          sample(s, 'dsd_tm_transactions_total', { origin: 'local' }),
        tm.total,
      );
      // build info, and no gauge carries a counter's _total suffix
      const { text } = await scrape(pm);
      assert.match(
        text,
        /^dsd_build_info\{version="\d+\.\d+\.\d+",node_version="v\d+[^"]*",arch="\w+",platform="\w+"\} 1$/m,
      );
      for (const m of text.matchAll(/^# TYPE (\S+) gauge$/gm))
        assert.ok(!m[1]!.endsWith('_total'), `gauge ${m[1]} is named like a counter`);
      // the Grafana dashboard in the repository only queries metrics this dsd exports
      const dash = JSON.parse(fs.readFileSync(path.join(REPO, 'etc', 'grafana', 'dsd-dashboard.json'), 'utf8')) as {
        panels: Array<{ targets: Array<{ expr: string }> }>;
      };
      const exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
      const used = new Set(
        dash.panels.flatMap((p) =>
          p.targets.flatMap((t) => [...t.expr.matchAll(/\b((?:dsd|process)_\w+)/g)].map((m) => m[1]!)),
        ),
      );
      assert.ok(used.size >= 10, `only ${used.size} metrics in the dashboard`);
      for (const name of used)
        assert.ok(
          exported.has(name.replace(/_(bucket|sum|count)$/, '')),
          `the dashboard queries ${name}, which dsd does not export`,
        );

      // /health: 200 while a destination is up, JSON with the counts
      const health = await fetch(`http://127.0.0.1:${pm}/health`);
      assert.equal(health.status, 200);
      assert.equal(health.headers.get('content-type'), 'application/json');
      const hd = (await health.json()) as {
        status: string;
        destinations: number;
        destinations_up: number;
        sets: number;
      };
      assert.deepEqual([hd.status, hd.sets, hd.destinations, hd.destinations_up], ['ok', 1, 3, 2]);
      // every destination down: 503 (readiness), while ?live still answers 200
      assert.equal(dsctl(dsd, 'dispatcher.set_state', 'd', '1', 'all').code, 0);
      const down = await fetch(`http://127.0.0.1:${pm}/health`);
      assert.equal(down.status, 503);
      assert.equal(((await down.json()) as { status: string }).status, 'no-destination');
      const live = await fetch(`http://127.0.0.1:${pm}/health?live`);
      assert.equal(live.status, 200);
      await live.text();
      assert.equal(sample(s, 'dsd_tm_replies_sent_total', { class: '2xx' }), calls);
      assert.ok(sample(s, 'process_cpu_seconds_total') > 0);

      // dsctl dispatcher.top sees dispatcher.stats and shows the rate columns
      const top = dsctl(dsd, 'dispatcher.top', '--once');
      assert.equal(top.code, 0, top.err);
      assert.match(top.out, /CALLS\/s/);

      const other = await fetch(`http://127.0.0.1:${pm}/other`);
      assert.equal(other.status, 404);
      await other.text();
      const post = await fetch(`http://127.0.0.1:${pm}/metrics`, { method: 'POST' });
      assert.equal(post.status, 405);
      await post.text();
    } finally {
      await dsd.stop();
      for (const x of [a, b, c]) await x.peer.close();
      await uac.close();
    }
  },
);
