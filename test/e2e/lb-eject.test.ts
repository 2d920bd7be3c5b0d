/**
 * Passive ejection over real sockets: a sipp backend answers 503 to every INVITE (and 200
 * to OPTIONS, so probing calls it alive), two recording backends answer 200, sipp sends
 * calls one at a time through the shipped dsd.cfg (round robin). With
 * ds_eject_failures 3 the failing backend is ejected after exactly 3 INVITEs while its
 * probes keep succeeding; ds_eject_max_percent holds when every backend fails; default
 * settings eject nothing and split the calls exactly as round robin does, and Kamailio 5.6
 * on the same cfg, list and calls fails the same calls and spreads the others in the same
 * order.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import { startDsd, basicCfg, tmpDir, Dsd } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { haveSipp, runUac, startSipp, SippProc, UAC_XML, num } from '../helpers/sipp';
import { Backends, dsctlOk, until } from '../helpers/backends';
import { failingUas } from '../helpers/lb-sipp';
import { startKamailio } from '../helpers/kamailio';
import { needs } from '../helpers/require';
import { at } from '../helpers/at';

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

function metric(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

function flagsOf(list: string, uri: string): string {
  const i = list.indexOf(`URI: ${uri}`);
  return /FLAGS: (\w+)/.exec(list.slice(i))?.[1] ?? '';
}

describe('passive ejection', { skip: !haveSipp() && 'sipp not installed' }, () => {
  let ports: number[];
  let bk: Backends;
  let uas: SippProc;
  let work: string;
  let dsd: Dsd | null = null;
  const failing = (): string => `sip:127.0.0.1:${ports[1]}`;
  const LIST = (): string => `1 ${failing()}\n1 ${bk.uri(0)}\n1 ${bk.uri(1)}\n`;

  before(async () => {
    ports = await freePorts(8);
    work = tmpDir('dsd-eject-');
    bk = await Backends.open([at(ports, 2), at(ports, 3)]);
    uas = startSipp({
      scenario: failingUas(work, 503, 'Service Unavailable'),
      port: at(ports, 1),
      controlPort: at(ports, 4),
    });
  });

  after(async () => {
    await dsd?.stop();
    await uas?.stop();
    await bk?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  async function start(params: string[]): Promise<Dsd> {
    const cfg = basicCfg({
      listen: [`udp:127.0.0.1:${ports[0]}`],
      // fr_timer 15 s: a starved backend answering late is no timeout to count
      params: [
        `modparam("dispatcher", "ds_metrics_listen", "127.0.0.1:${ports[7]}")`,
        'modparam("tm", "fr_timer", 15000)',
        ...params,
      ],
    });
    dsd = await startDsd({ cfg, list: LIST() });
    return dsd;
  }

  async function stop(): Promise<void> {
    await dsd?.stop();
    dsd = null;
  }

  /** `n` calls, one at a time (-l 1), so every outcome is known before the next pick. */
  function calls(n: number) {
    return runUac({
      scenario: UAC_XML,
      port: at(ports, 5),
      controlPort: at(ports, 6),
      remote: `127.0.0.1:${ports[0]}`,
      calls: n,
      rate: 100,
      extra: ['-l', '1', '-recv_timeout', '10000'],
      timeoutMs: 60_000,
    });
  }

  it('ejects the 503 backend after exactly N failures while its probes succeed', async () => {
    // inactive_threshold 1000: probe successes count up but cannot bring it back during the test
    const d = await start([
      'modparam("dispatcher", "ds_eject_failures", 3)',
      'modparam("dispatcher", "ds_ping_interval", 1)',
      'modparam("dispatcher", "ds_probing_mode", 1)',
      'modparam("dispatcher", "ds_inactive_threshold", 1000)',
    ]);
    try {
      await until(
        'a successful probe of the failing backend',
        async () =>
          metric(await scrape(at(ports, 7)), 'dsd_dispatcher_probes_total', { uri: failing(), result: 'ok' }) >= 1,
        20_000,
        200,
      );
      const r = await calls(30);
      assert.equal(
        num(r.stats, 'FailedCall(C)'),
        3,
        `only 3 calls reached the failing backend\n${r.output.slice(-1500)}`,
      );
      assert.equal(num(r.stats, 'SuccessfulCall(C)'), 27);
      await d.waitFor(`ejected ${failing()} from set 1 after 3 consecutive failures`);
      const list = dsctlOk(d.dir, 'dispatcher.list');
      assert.equal(flagsOf(list, failing()), 'IP');
      assert.match(list.slice(list.indexOf(failing())), /EJECTED: 1/);
      const before = metric(await scrape(at(ports, 7)), 'dsd_dispatcher_probes_total', {
        uri: failing(),
        result: 'ok',
      });
      await until(
        'probing still reports it alive',
        async () =>
          metric(await scrape(at(ports, 7)), 'dsd_dispatcher_probes_total', { uri: failing(), result: 'ok' }) > before,
        20_000,
        200,
      );
      const m = await scrape(at(ports, 7));
      assert.equal(
        metric(m, 'dsd_dispatcher_probes_total', { uri: failing(), result: 'failed' }) +
          metric(m, 'dsd_dispatcher_probes_total', { uri: failing(), result: 'timeout' }),
        0,
        'no probe ever failed',
      );
      assert.equal(metric(m, 'dsd_dispatcher_ejections_total', { uri: failing() }), 1);
      assert.equal(metric(m, 'dsd_dispatcher_destination_ejected', { uri: failing() }), 1);
      assert.equal(
        metric(m, 'dsd_dispatcher_destination_transitions_total', { uri: failing(), direction: 'down' }),
        1,
        'one dst-down event',
      );
    } finally {
      await stop();
    }
  });

  it('ds_eject_max_percent holds when every backend fails', async () => {
    bk.modes[0] = 503;
    bk.modes[1] = 503;
    const d = await start([
      'modparam("dispatcher", "ds_eject_failures", 2)',
      'modparam("dispatcher", "ds_eject_time", 600)',
    ]);
    try {
      const r = await calls(30);
      assert.equal(num(r.stats, 'FailedCall(C)'), 30);
      const list = dsctlOk(d.dir, 'dispatcher.list');
      const out = [failing(), bk.uri(0), bk.uri(1)].filter((u) => flagsOf(list, u).startsWith('I'));
      assert.equal(out.length, 1, `one of three (50 %) out:\n${list}`);
      assert.match(d.output(), /not ejecting .* 1 of 3 already out \(ds_eject_max_percent\)/);
      assert.ok(metric(await scrape(at(ports, 7)), 'dsd_dispatcher_ejections_refused_total', {}) >= 1);
    } finally {
      bk.modes[0] = 'ok';
      bk.modes[1] = 'ok';
      await stop();
    }
  });

  it('default settings eject nothing and split exactly as round robin, as Kamailio 5.6 does', async () => {
    /** Per run: failed calls and the backends' INVITEs in order of arrival (0, 1; the failing one not logged). */
    const outcome = async (): Promise<{ failed: number; order: number[] }> => {
      const mark = bk.log.length;
      const r = await calls(30);
      assert.equal(num(r.stats, 'SuccessfulCall(C)') + num(r.stats, 'FailedCall(C)'), 30, r.output.slice(-1500));
      return {
        failed: num(r.stats, 'FailedCall(C)'),
        order: bk.log
          .slice(mark)
          .filter((x) => x.method === 'INVITE')
          .map((x) => x.b),
      };
    };
    const d = await start([]);
    let mine: { failed: number; order: number[] };
    try {
      mine = await outcome();
      assert.equal(mine.failed, 10);
      assert.equal(mine.order.filter((b) => b === 0).length, 10);
      assert.equal(mine.order.filter((b) => b === 1).length, 10);
      const list = dsctlOk(d.dir, 'dispatcher.list');
      for (const u of [failing(), bk.uri(0), bk.uri(1)]) assert.equal(flagsOf(list, u), 'AX');
      assert.doesNotMatch(list, /EJECTED|DRAIN|SLOWSTART/);
      assert.doesNotMatch(d.output(), /ejected/);
    } finally {
      await stop();
    }
    if (needs('kamailio')) return;
    // the same cfg (without dsd's metrics listener), list and calls through Kamailio
    const k = await startKamailio({ cfg: basicCfg({ listen: [`udp:127.0.0.1:${ports[0]}`] }), list: LIST() });
    try {
      assert.deepEqual(await outcome(), mine, 'Kamailio 5.6 fails and spreads the calls the same way');
    } finally {
      await k.stop();
    }
  });
});
