/**
 * dispatcher.drain under sipp load, over real sockets: two recording backends behind the
 * shipped dsd.cfg (round robin), calls from sipp held for a few seconds. After the drain
 * no new INVITE reaches the drained backend while the BYEs of its calls and its keepalives
 * still do,
 * `--wait` returns once they ended (and fails with exit status 1 while a call is still
 * up), undrain restores the split, a drain by duid is lifted by an undrain by URI and
 * shows in `--table` (MARKS), `--json` and kamcmd's tree (DRAIN), and a drain made with --persist
 * survives a restart (one without does not).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startDsd, basicCfg, tmpDir, Dsd, DSCTL_BIN } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { runUac, startSipp, UAC_XML, num } from '../helpers/sipp';
import { Backends, dsctlOk, until } from '../helpers/backends';
import { holdingUac } from '../helpers/lb-sipp';
import { needs } from '../helpers/require';
import { kamcmd } from '../helpers/ctl';
import { at } from '../helpers/at';

const HOLD_MS = 4000;

describe('dispatcher.drain', { skip: needs('sipp', 'kamcmd') }, () => {
  let bk: Backends;
  let dsd: Dsd | null = null;
  let px: number;
  let ports: number[];
  let work: string;
  let cfg: string;
  let list: string;

  before(async () => {
    ports = await freePorts(9);
    px = at(ports, 0);
    bk = await Backends.open([at(ports, 1), at(ports, 2)]);
    work = tmpDir('dsd-drain-');
    cfg = basicCfg({
      listen: [`udp:127.0.0.1:${px}`],
      // fr_timer 15 s: a starved backend answering late is no failover to count
      params: [
        `modparam("dispatcher", "ds_admin_state_file", "${work}/admin-state.json")`,
        'modparam("tm", "fr_timer", 15000)',
        // every destination probed every second: a drained one must keep being probed
        'modparam("dispatcher", "ds_ping_interval", 1)',
        'modparam("dispatcher", "ds_probing_mode", 1)',
      ],
    });
    list = `1 ${bk.uri(0)} 0 0 duid=b0\n1 ${bk.uri(1)} 0 0 duid=b1\n`;
    dsd = await startDsd({ cfg, list });
  });

  after(async () => {
    await dsd?.stop();
    await bk?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const ctl = (...a: string[]): string => dsctlOk(dsd!.dir, ...a);

  /** `n` calls through dsd from sipp, all answered. */
  async function load(n: number): Promise<void> {
    const r = await runUac({
      scenario: UAC_XML,
      port: at(ports, 5),
      controlPort: at(ports, 6),
      remote: `127.0.0.1:${px}`,
      calls: n,
      rate: 40,
      timeoutMs: 30_000,
    });
    assert.equal(num(r.stats, 'SuccessfulCall(C)'), n, r.output.slice(-2000));
  }

  /** `dsctl dispatcher.drain --wait SECONDS 1 URI` as a child; resolves with its exit status and output. */
  function drainWait(seconds: number, uri: string, onExit: () => void = () => undefined) {
    const p = spawn(process.execPath, [
      DSCTL_BIN,
      '-s',
      `unix:${dsd!.dir}/dsd_ctl`,
      'dispatcher.drain',
      '--wait',
      String(seconds),
      '1',
      uri,
    ]);
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.stderr.on('data', (d) => {
      out += d;
    });
    return new Promise<{ code: number | null; out: string }>((resolve) =>
      p.once('exit', (code) => {
        onExit();
        resolve({ code, out });
      }),
    );
  }
  const drained = (text: string, uri: string): boolean => {
    const i = text.indexOf(`URI: ${uri}`);
    const next = text.indexOf('URI: ', i + 1);
    return i >= 0 && /DRAIN: 1/.test(text.slice(i, next < 0 ? undefined : next));
  };

  it('no new INVITE to the drained backend, its BYEs still arrive, --wait returns when they ended', async () => {
    const mark = bk.log.length;
    const held = startSipp({
      scenario: holdingUac(work, HOLD_MS),
      port: at(ports, 3),
      controlPort: at(ports, 4),
      remote: `127.0.0.1:${px}`,
      calls: 20,
      rate: 40,
    });
    try {
      await until(
        '20 held calls answered',
        () => bk.count(0, 'INVITE', mark) + bk.count(1, 'INVITE', mark) >= 20,
        20_000,
      );
      const onB1 = bk.callIds(1, 'INVITE', mark);
      assert.ok(onB1.size >= 5, `backend 1 took part before the drain (${onB1.size})`);
      assert.equal(ctl('dispatcher.drain', '1', bk.uri(1)).trim(), 'Ok. Dispatcher destination draining.');
      assert.ok(drained(ctl('dispatcher.list'), bk.uri(1)), 'dispatcher.list shows DRAIN: 1');
      assert.ok(!drained(ctl('dispatcher.list'), bk.uri(0)));
      const afterDrain = bk.log.length;

      // --wait: returns once backend 1's held calls are over (their BYEs arrived first)
      let byesAtExit = new Set<string>();
      const waited = drainWait(60, bk.uri(1), () => {
        byesAtExit = bk.callIds(1, 'BYE', mark);
      });

      // load while draining: every new call goes to backend 0
      await load(30);
      const w = await waited;
      assert.equal(w.code, 0, w.out);
      assert.match(w.out, /No active dialogs left/);
      for (const cid of onB1) assert.ok(byesAtExit.has(cid), `BYE of ${cid} reached backend 1 before --wait returned`);
      await until('keepalives still reach the drained backend', () => bk.count(1, 'OPTIONS', afterDrain) >= 2, 20_000);
      const newOnB1 = [...bk.callIds(1, 'INVITE', afterDrain)].filter((c) => !onB1.has(c));
      assert.deepEqual(newOnB1, [], 'no new INVITE reached the drained backend');
      assert.ok(bk.count(0, 'INVITE', afterDrain) >= 30);
    } finally {
      await held.stop();
    }
  });

  it('--wait gives up with exit status 1 while a call is still up', async () => {
    const mark = bk.log.length;
    ctl('dispatcher.undrain', '1', bk.uri(1));
    const held = startSipp({
      scenario: holdingUac(work, 8000),
      port: at(ports, 3),
      controlPort: at(ports, 4),
      remote: `127.0.0.1:${px}`,
      calls: 2,
      rate: 10,
    });
    try {
      await until(
        'both calls answered',
        () => bk.count(1, 'INVITE', mark) >= 1 && bk.count(0, 'INVITE', mark) >= 1,
        20_000,
      );
      await until(
        'backend 1 has an active dialog',
        () => {
          const e = JSON.parse(ctl('--json', 'dispatcher.explain', '1', '4')) as {
            destinations: Array<{ uri: string; activeDialogs: number }>;
          };
          return e.destinations.some((d) => d.uri === bk.uri(1) && d.activeDialogs >= 1);
        },
        10_000,
      );
      const r = await drainWait(1, bk.uri(1));
      assert.equal(r.code, 1);
      assert.match(r.out, /Drain Timeout/);
    } finally {
      await held.stop();
    }
  });

  it('undrain restores the split', async () => {
    ctl('dispatcher.undrain', '1', bk.uri(1));
    assert.ok(!drained(ctl('dispatcher.list'), bk.uri(1)));
    const mark = bk.log.length;
    await load(20);
    assert.equal(bk.count(0, 'INVITE', mark), 10);
    assert.equal(bk.count(1, 'INVITE', mark), 10);
  });

  it('drain by duid: marked in --table and --json, lifted by an undrain by URI', async () => {
    assert.equal(ctl('dispatcher.drain_duid', '1', 'b1').trim(), 'Ok. Dispatcher destination draining.');
    const table = ctl('--table', 'dispatcher.list');
    const head = table.split('\n').find((l) => /\bURI\b/.test(l)) ?? '';
    assert.match(head, /\bMARKS\b/, table);
    const row = (uri: string): string => table.split('\n').find((l) => l.includes(uri)) ?? '';
    assert.match(row(bk.uri(1)), /draining/, table);
    assert.doesNotMatch(row(bk.uri(0)), /draining/, table);
    const json = JSON.parse(ctl('--json', 'dispatcher.list')) as {
      RECORDS: Array<{ SET: { TARGETS: Array<{ DEST: { URI: string; DRAIN?: number } }> } }>;
    };
    const dests = json.RECORDS.flatMap((r) => r.SET.TARGETS.map((t) => t.DEST));
    // kamcmd reads the same tree over binrpc: DRAIN is one more attribute of the DEST
    const k = kamcmd(`${dsd!.dir}/dsd_ctl`, 'dispatcher.list');
    assert.equal(k.code, 0, k.err);
    assert.ok(drained(k.out, bk.uri(1)), k.out);
    assert.ok(!drained(k.out, bk.uri(0)), k.out);
    assert.equal(k.out, ctl('dispatcher.list'), 'kamcmd prints what dsctl prints');
    assert.equal(dests.find((d) => d.URI === bk.uri(1))?.DRAIN, 1);
    assert.equal(dests.find((d) => d.URI === bk.uri(0))?.DRAIN, undefined);
    let mark = bk.log.length;
    await load(10);
    assert.equal(bk.count(1, 'INVITE', mark), 0);
    assert.equal(bk.count(0, 'INVITE', mark), 10);
    ctl('dispatcher.undrain', '1', bk.uri(1));
    assert.doesNotMatch(ctl('--table', 'dispatcher.list'), /draining/);
    mark = bk.log.length;
    await load(10);
    assert.equal(bk.count(1, 'INVITE', mark), 5);
  });

  it('--persist survives a restart; a plain drain does not', async () => {
    ctl('dispatcher.drain', '--persist', '1', bk.uri(1));
    const saved = JSON.parse(fs.readFileSync(path.join(work, 'admin-state.json'), 'utf8')) as {
      drains?: Array<{ uri: string }>;
    };
    assert.deepEqual(
      saved.drains?.map((d) => d.uri),
      [bk.uri(1)],
    );
    await dsd!.stop();
    dsd = null;
    dsd = await startDsd({ cfg, list });
    assert.ok(drained(ctl('dispatcher.list'), bk.uri(1)), 'still draining after the restart');
    const mark = bk.log.length;
    await load(10);
    assert.equal(bk.count(1, 'INVITE', mark), 0);
    assert.equal(bk.count(0, 'INVITE', mark), 10);

    ctl('dispatcher.undrain', '1', bk.uri(1));
    ctl('dispatcher.drain', '1', bk.uri(1));
    await dsd!.stop();
    dsd = null;
    dsd = await startDsd({ cfg, list });
    assert.ok(!drained(ctl('dispatcher.list'), bk.uri(1)), 'a drain without --persist ends with the process');
  });
});
