/**
 * Dispatcher script functions over real SIP (test/fixtures/cfg/ds-functions.cfg; the
 * R-URI user picks the branch): ds_is_from_list in its forms, accepting requests sent
 * from a backend's own address; ds_list_exists, ds_is_active and the `_dsdst_` /
 * `_dsctx_` XAVPs read by the script and copied into headers of the forwarded request;
 * ds_select_domain rewriting the R-URI; ds_select_routes over two sets; ds_mark_dst in a
 * failure_route taking a destination out (seen in dispatcher.list, skipped afterwards).
 *
 * `DS_E2E_KAMAILIO=1` runs the same cases against Kamailio 5.6.3 (`kamailio`,
 * `kamcmd`): that is where the expected values were checked.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startDsd, tmpDir, DSCTL_BIN } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { FIXTURES } from '../helpers/sipp';
import {
  UdpPeer, Received, makeResponse, methodOf, statusOf, callIdOf, header, startLine, sleep,
} from '../helpers/sip-peer';

const KAMAILIO = process.env.DS_E2E_KAMAILIO === '1';

interface Ctl { code: number | null; out: string; err: string }
interface Proxy { ctl(...args: string[]): Ctl; stop(): Promise<void> }

function run(cmd: string, args: string[]): Ctl {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 15_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** dsd (or Kamailio with DS_E2E_KAMAILIO=1) on the cfg and list, in a temp dir. */
async function startProxy(cfg: string, list: string): Promise<Proxy> {
  if (!KAMAILIO) {
    const d = await startDsd({ cfg, list });
    return {
      ctl: (...a) => run(process.execPath, [DSCTL_BIN, '-s', `unix:${d.dir}/dsd_ctl`, ...a]),
      stop: async () => { assert.equal(await d.stop(), 0, d.output().slice(-3000)); },
    };
  }
  const dir = tmpDir('ds-kam-');
  const cfgFile = path.join(dir, 'kamailio.cfg');
  fs.writeFileSync(cfgFile, cfg.replaceAll('{DIR}', dir));
  fs.writeFileSync(path.join(dir, 'dispatcher.list'), list);
  const proc = spawn('kamailio', ['-f', cfgFile, '-DD', '-E', '-w', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  proc.stderr!.on('data', (d) => { if (out.length < 100_000) out += d; });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const sock = path.join(dir, 'dsd_ctl');
  for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await sleep(100);
  if (!fs.existsSync(sock)) { proc.kill('SIGKILL'); throw new Error(`kamailio did not start:\n${out}`); }
  await sleep(300);
  return {
    ctl: (...a) => run('kamcmd', ['-s', `unix:${sock}`, ...a]),
    stop: async () => {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** FLAGS of each destination of a set in `dispatcher.list` (kamcmd text), by URI. */
function flagsOf(text: string, set: number): Record<string, string> {
  const out: Record<string, string> = {};
  let cur = -1;
  let uri = '';
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(': ');
    if (k === 'ID') cur = Number(v);
    else if (k === 'URI') uri = v;
    else if (k === 'FLAGS' && cur === set) out[uri] = v;
  }
  return out;
}

type Mode = 'ok' | '500' | 'silent';

describe('dispatcher script functions over SIP', { timeout: 60_000 }, () => {
  let proxy: Proxy;
  let px = 0;
  /** b0..b2: recording backends; peers[3] ("x") is listed only in sets 5 and 6. */
  const peers: UdpPeer[] = [];
  const modes: Mode[] = ['ok', 'ok', 'ok', 'ok'];
  let ua: UdpPeer;
  const uri = (b: number): string => `sip:127.0.0.1:${peers[b].port}`;

  before(async () => {
    const ports = await freePorts(5);
    px = ports[0];
    for (let b = 0; b < 4; b++) {
      const p = await UdpPeer.open({ host: '127.0.0.1', port: ports[b + 1] });
      p.answerer = (req: Received) => {
        const m = methodOf(req.text);
        if (m === 'ACK' || modes[b] === 'silent') return null;
        return modes[b] === '500' ? makeResponse(req.text, 500, 'Server Error') : makeResponse(req.text, 200, 'OK');
      };
      peers.push(p);
    }
    ua = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
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
    for (let b = 0; b < 3; b++) cfg = cfg.replaceAll(`{B${b}}`, String(peers[b].port));
    proxy = await startProxy(cfg, list);
  });

  after(async () => {
    await ua?.close();
    for (const p of peers) await p.close();
    if (proxy) await proxy.stop();
  });

  let seq = 0;

  /** Sends a MESSAGE for `user` from `from` (a peer's own socket); returns the final reply. */
  async function send(user: string, from: UdpPeer = ua): Promise<{ callId: string; final: Received }> {
    const callId = `fn-${++seq}-${Date.now()}@ds`;
    const text = `MESSAGE sip:${user}@127.0.0.1:${px} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${from.port};branch=z9hG4bKfn${seq}x${Date.now()}\r\n` +
      `From: <sip:alice@example.com>;tag=f${seq}\r\nTo: <sip:${user}@example.net>\r\n` +
      `Call-ID: ${callId}\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
    const mark = from.received.length;
    await from.send(text, px);
    const final = await from.waitFor((m) => callIdOf(m.text) === callId && statusOf(m.text) >= 200, 5000, mark);
    return { callId, final };
  }

  /** Backends (0..2) that got this Call-ID, in arrival order, with their first copy. */
  function copies(callId: string): Array<{ b: number; m: Received }> {
    const out: Array<{ b: number; m: Received }> = [];
    for (let b = 0; b < 3; b++) {
      const m = peers[b].received.find((x) => callIdOf(x.text) === callId && statusOf(x.text) === 0);
      if (m) out.push({ b, m });
    }
    return out.sort((x, y) => x.m.at - y.m.at);
  }

  // ---- ds_is_from_list ----

  it('ds_is_from_list("1"): a request from a backend\'s ip:port is accepted, from elsewhere refused', async () => {
    for (const b of [0, 1, 2]) assert.equal(startLine((await send('from', peers[b])).final.text), 'SIP/2.0 200 From set 1');
    assert.equal(startLine((await send('from', ua)).final.text), 'SIP/2.0 403 Not from list');
    // peers[3] is listed, but not in set 1
    assert.equal(startLine((await send('from', peers[3])).final.text), 'SIP/2.0 403 Not from list');
  });

  it('ds_is_from_list() over all sets: the first match in set (AVL post-) order fills setid_pvname and attrs_pvname', async () => {
    // sets 1..6 inserted in order make an AVL tree walked 1,3,2,6,5,4: set 6 before set 5
    assert.equal(startLine((await send('fromany', peers[3])).final.text), 'SIP/2.0 200 From set 6 attrs tag=six');
    assert.equal(startLine((await send('fromany', peers[0])).final.text), 'SIP/2.0 200 From set 1 attrs duid=b0;tag=one');
    assert.equal(startLine((await send('fromany', ua)).final.text), 'SIP/2.0 403 Not from list');
  });

  it('ds_is_from_list modes: 3 ignores the port, 6 takes active destinations only, a URI argument replaces the source', async () => {
    assert.equal(startLine((await send('fromip', ua)).final.text), 'SIP/2.0 200 Address in set 1');
    // set 4 holds b2 with flags 1 (inactive)
    assert.equal(startLine((await send('fromactive', peers[2])).final.text), 'SIP/2.0 299 Inactive in set 4');
    assert.equal(startLine((await send('fromuri', ua)).final.text), 'SIP/2.0 200 URI in set 1');
  });

  // ---- records readable in the script ----

  it('ds_list_exists, ds_is_active and $xavp(_dsdst_=>uri|grp|attrs), $xavp(_dsctx_=>cnt) after ds_select_dst', async () => {
    const { callId, final } = await send('info');
    assert.equal(statusOf(final.text), 200);
    const c = copies(callId);
    // set 1 array order is b2, b1, b0 (reverse file order); a fresh round robin starts at b2
    assert.deepEqual(c.map((x) => x.b), [2]);
    const got = c[0].m.text;
    assert.equal(header(got, 'x-checks'), 'exists1:yes,exists9:no,active1:yes,active4:no,activeB0:yes,active4B2:no');
    assert.equal(header(got, 'x-du'), uri(2));
    assert.equal(header(got, 'x-dst'), `${uri(2)}|${uri(1)}|${uri(0)}|<null>|<null>|<null>`);
    assert.equal(header(got, 'x-grp'), '1|1|1|<null>|<null>|<null>');
    assert.equal(header(got, 'x-attrs'), '<null>|<null>|duid=b0;tag=one');
    assert.equal(header(got, 'x-cnt'), '3');
  });

  it('ds_select_domain rewrites the R-URI host:port (user kept, $du untouched)', async () => {
    const { callId, final } = await send('domain');
    assert.equal(statusOf(final.text), 200);
    const c = copies(callId);
    assert.deepEqual(c.map((x) => x.b), [2]);
    assert.equal(startLine(c[0].m.text), `MESSAGE sip:domain@127.0.0.1:${peers[2].port} SIP/2.0`);
    assert.equal(header(c[0].m.text, 'x-du'), '<null>');
  });

  it('ds_select_routes("1=4;2=8", "d"): $du from the first rule, records of both sets, one cnt', async () => {
    const { callId, final } = await send('routes');
    assert.equal(statusOf(final.text), 200);
    const c = copies(callId);
    // set 1's round robin moved on to b1 after the "info" case; set 2 by priority: b2 (5), b1 (0)
    assert.deepEqual(c.map((x) => x.b), [1]);
    const got = c[0].m.text;
    assert.equal(header(got, 'x-du'), uri(1));
    assert.equal(header(got, 'x-dst'), `${uri(1)}|${uri(0)}|${uri(2)}|${uri(2)}|${uri(1)}|<null>`);
    assert.equal(header(got, 'x-grp'), '1|1|1|2|2|<null>');
    assert.equal(header(got, 'x-cnt'), '5');
  });

  // ---- ds_mark_dst ----

  it('ds_mark_dst("ip") on a timeout: the destination shows IP in dispatcher.list and later calls skip it', async () => {
    try {
      modes[0] = 'silent';
      // set 3 by priority: b0 first (reverse file order), then b1
      const first = await send('mark');
      assert.equal(statusOf(first.final.text), 200);
      assert.deepEqual(copies(first.callId).map((x) => x.b), [0, 1]);
      const listed = proxy.ctl('dispatcher.list');
      assert.equal(listed.code, 0, listed.err);
      assert.deepEqual(flagsOf(listed.out, 3), { [uri(0)]: 'IP', [uri(1)]: 'AX' });
      // b0 stays in sets 1 (active) untouched
      assert.equal(flagsOf(listed.out, 1)[uri(0)], 'AX');
      for (let k = 0; k < 3; k++) {
        const r = await send('mark');
        assert.equal(statusOf(r.final.text), 200);
        assert.deepEqual(copies(r.callId).map((x) => x.b), [1]);
      }
    } finally {
      modes[0] = 'ok';
      assert.equal(proxy.ctl('dispatcher.set_state', 'a', '3', 'all').code, 0);
    }
  });

  it('ds_mark_dst() on a 500: inactive (IX) without probing (ds_probing_mode 0)', async () => {
    try {
      modes[0] = '500';
      const r = await send('mark500');
      assert.equal(statusOf(r.final.text), 200);
      assert.deepEqual(copies(r.callId).map((x) => x.b), [0, 1]);
      assert.deepEqual(flagsOf(proxy.ctl('dispatcher.list').out, 3), { [uri(0)]: 'IX', [uri(1)]: 'AX' });
      const again = await send('mark500');
      assert.deepEqual(copies(again.callId).map((x) => x.b), [1]);
    } finally {
      modes[0] = 'ok';
      assert.equal(proxy.ctl('dispatcher.set_state', 'a', '3', 'all').code, 0);
    }
  });
});
