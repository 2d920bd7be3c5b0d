/**
 * The real dsctl against the real dsd: the destination list Kamailio 5.6.3 printed for
 * ../shared/golden/dispatcher.list, byte for byte; state changes, add/remove with
 * --persist written back to the list file, admin state surviving a restart, exit codes.
 *
 * Normalized, and only these: the LATENCY numbers (milliseconds measured on this
 * machine's loopback; Kamailio's capture measured 0 ms) and the TIMEOUT counter of the
 * unreachable destination (it grows with every keepalive round).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDsd, basicCfg, SHARED, Dsd } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { startSipp, UAS_XML, SippProc } from '../helpers/sipp';
import { dsctlOn as dsctl } from '../helpers/ctl';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function normalize(text: string): string {
  return text
    .replace(/^(\t+(?:AVG|STD|EST|MAX): ).*$/gm, '$1<ms>')
    .replace(/^(\t+TIMEOUT: )\d+$/gm, (_m, p: string) => `${p}<n>`);
}

async function waitList(dsd: Dsd, pred: (out: string) => boolean, ms: number): Promise<string> {
  const until = Date.now() + ms;
  let last = '';
  while (Date.now() < until) {
    last = dsctl(dsd, 'dispatcher.list').out;
    if (pred(last)) return last;
    await sleep(250);
  }
  throw new Error(`dispatcher.list never matched:\n${last}`);
}

test('dispatcher.list of the golden list prints what kamcmd printed', { timeout: 90_000 }, async () => {
  // The golden list names 127.0.0.1:5080/5081 (answering), 5099 (silent) and a socket on
  // udp:127.0.0.1:5060; the test moves every one of those ports to a free one of its own,
  // in the list and in kamcmd's captured text alike, so it never needs (or skips on) 5060.
  const [sip, b1, b2, dead, c1, c2] = await freePorts(6);
  const ports: Record<string, number> = { '5060': sip!, '5080': b1!, '5081': b2!, '5099': dead! };
  const movePorts = (text: string): string =>
    text.replace(/127\.0\.0\.1:(5060|5080|5081|5099)\b/g, (_m, p: string) => `127.0.0.1:${ports[p]}`);
  const goldenList = movePorts(fs.readFileSync(path.join(SHARED, 'golden', 'dispatcher.list'), 'utf8'));
  const golden = movePorts(fs.readFileSync(path.join(SHARED, 'golden', 'kamcmd-dispatcher.list.txt'), 'utf8'));
  const dsd = await startDsd({
    cfg: basicCfg({
      listen: [`udp:127.0.0.1:${sip}`],
      params: [
        // 3 s: a starved sipp answering a probe late is still up
        'modparam("tm", "fr_timer", 3000)',
        'modparam("dispatcher", "ds_ping_interval", 1)',
        'modparam("dispatcher", "ds_probing_mode", 1)',
        'modparam("dispatcher", "ds_ping_latency_stats", 1)',
      ],
    }),
    list: goldenList,
  });
  const uas: SippProc[] = [];
  try {
    uas.push(startSipp({ scenario: UAS_XML, port: b1!, controlPort: c1! }));
    uas.push(startSipp({ scenario: UAS_XML, port: b2!, controlPort: c2! }));
    // keepalives: b1/b2 answer (AP), the silent port times out (IP)
    // (a sipp not yet bound, or starved, may fail a probe: wait for the settled picture)
    let out = '';
    try {
      out = await waitList(
        dsd,
        (o) =>
          new RegExp(`URI: sip:127.0.0.1:${dead}\\n\\t+FLAGS: IP`).test(o) &&
          /TIMEOUT: [1-9]/.test(o) &&
          normalize(o) === normalize(golden),
        60_000,
      );
    } catch {
      out = dsctl(dsd, 'dispatcher.list').out;
    }
    assert.equal(normalize(out), normalize(golden));
    // JSON mode gives the JSON-RPC result
    const j = dsctl(dsd, '--json', 'dispatcher.list');
    assert.equal(j.code, 0);
    const parsed = JSON.parse(j.out);
    assert.equal(parsed.NRSETS, 3);
    assert.deepEqual(
      parsed.RECORDS.map((r: { SET: { ID: number } }) => r.SET.ID),
      [1, 3, 2],
    );
    // hash: the golden JSON-RPC answer for [4, bob, server.com]
    const h = dsctl(dsd, '--json', 'dispatcher.hash', '4', 'bob', 'server.com');
    assert.deepEqual(JSON.parse(h.out), { hashid: 3883463682, slot: 2 });
  } finally {
    for (const u of uas) await u.stop();
    assert.equal(await dsd.stop(), 0);
  }
});

test(
  'set_state, add/remove --persist, admin state across a restart, error exit codes',
  { timeout: 90_000 },
  async () => {
    const [px, b1, b2] = await freePorts(3);
    const list = `# comment kept\n1 sip:127.0.0.1:${b1} 0 0\n\n1 sip:127.0.0.1:${b2} 0 0 weight=50\n`;
    let dsd = await startDsd({
      cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`], params: ['modparam("dispatcher", "reload_delta", 0)'] }),
      list,
    });
    const dir = dsd.dir;
    const listFile = path.join(dir, 'dispatcher.list');
    try {
      let r = dsctl(dsd, 'dispatcher.set_state', 'ip', '1', `sip:127.0.0.1:${b1}`);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, 'Ok. Dispatcher state updated.\n');
      assert.match(dsctl(dsd, 'dispatcher.list').out, new RegExp(`URI: sip:127.0.0.1:${b1}\\n\\t+FLAGS: IP`));
      // unknown state value: Kamailio's fault, non-zero exit
      r = dsctl(dsd, 'dispatcher.set_state', 'zz', '1', 'all');
      assert.equal(r.code, 1);
      assert.match(r.err, /^error: 500 - Unknown State Value/);
      // a destination that does not exist: an error (Kamailio says Ok)
      r = dsctl(dsd, 'dispatcher.set_state', 'ip', '1', 'sip:192.0.2.9:5060');
      assert.notEqual(r.code, 0);
      // add with --persist lands in the file, comments and order kept
      r = dsctl(dsd, 'dispatcher.add', '--persist', '2', `sip:127.0.0.1:${b2}`, '0', '5', 'duid=x');
      assert.equal(r.code, 0, r.err);
      let text = fs.readFileSync(listFile, 'utf8');
      assert.equal(text, `${list}2 sip:127.0.0.1:${b2} 0 5 duid=x\n`);
      assert.match(dsctl(dsd, 'dispatcher.list').out, /ID: 2/);
      // remove --persist drops the line
      r = dsctl(dsd, 'dispatcher.remove', '--persist', '2', `sip:127.0.0.1:${b2}`);
      assert.equal(r.code, 0, r.err);
      text = fs.readFileSync(listFile, 'utf8');
      assert.equal(text, list);
      // bad arguments: usage error
      r = dsctl(dsd, 'dispatcher.set_state', 'ip');
      assert.equal(r.code, 2);
      // restart: the admin state (IP on b1) survives (kept in the state file next to the socket)
      await stopKeep(dsd);
      dsd = await startDsd({
        cfg: fs.readFileSync(path.join(dir, 'dsd.cfg'), 'utf8').replaceAll(dir, '{DIR}'),
        list,
        files: { 'dsd_ctl.admin-state.json': fs.readFileSync(path.join(dir, 'dsd_ctl.admin-state.json'), 'utf8') },
      });
      assert.match(dsctl(dsd, 'dispatcher.list').out, new RegExp(`URI: sip:127.0.0.1:${b1}\\n\\t+FLAGS: IP`));
    } finally {
      await dsd.stop();
    }
    // nothing listens any more: connection error exit code
    const gone = dsctl({ dir }, 'core.version');
    assert.equal(gone.code, 3, gone.err);
  },
);

/** Stops dsd but keeps its directory (the test restarts on the same files). */
async function stopKeep(dsd: Dsd): Promise<void> {
  const exited = new Promise((r) => dsd.proc.once('exit', r));
  dsd.proc.kill('SIGTERM');
  await exited;
}
