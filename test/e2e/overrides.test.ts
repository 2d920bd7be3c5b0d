/**
 * Admin-state overrides through the real dsd and dsctl: listed with where they came from,
 * cleared one or all, restored after a restart, dropped (with a log line) when the list no
 * longer has the destination so that adding it again starts from the list's flags, and
 * kept apart for two daemons whose control sockets share one directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDsd, basicCfg, tmpDir, Dsd } from '../helpers/daemon';
import { dsctl } from '../helpers/ctl';
import { freePorts } from '../helpers/ports';

interface Override {
  SET: number;
  URI?: string;
  DUID?: string;
  STATE: string;
  SINCE: string;
  SOURCE: string;
}

const dsctlAt = dsctl;

function overrides(sock: string): Override[] {
  const r = dsctlAt(sock, '--json', 'dispatcher.overrides');
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as Override[];
}

/** dispatcher.reload, waiting out reload_delta. */
async function reload(sock: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const r = dsctlAt(sock, 'dispatcher.reload');
    if (r.code === 0) return;
    assert.match(r.err, /Ongoing reload/);
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error('reload never allowed');
}

function flagsOf(sock: string, uri: string): string {
  const out = dsctlAt(sock, 'dispatcher.list').out;
  const m = new RegExp(`URI: ${uri.replace(/[.]/g, '\\.')}\\n\\t+FLAGS: (\\w+)`).exec(out);
  assert.ok(m, `${uri} not in\n${out}`);
  return m[1]!;
}

async function stopKeep(d: Dsd): Promise<void> {
  const exited = new Promise((r) => d.proc.once('exit', r));
  d.proc.kill('SIGTERM');
  await exited;
}

test(
  'set, list with origin, clear one and all, restore after restart, drop on removal, re-add clean',
  { timeout: 120_000 },
  async () => {
    const [port, b1, b2, b3] = await freePorts(4);
    const u1 = `sip:127.0.0.1:${b1}`;
    const u2 = `sip:127.0.0.1:${b2}`;
    const u3 = `sip:127.0.0.1:${b3}`;
    const list = `1 ${u1}\n1 ${u2} 0 0 duid=gw2\n1 ${u3}\n`;
    let d = await startDsd({ cfg: basicCfg({ listen: [`udp:127.0.0.1:${port}`] }), list });
    const dir = d.dir;
    const sock = `${dir}/dsd_ctl`;
    try {
      assert.deepEqual(overrides(sock), []);
      assert.equal(dsctlAt(sock, 'dispatcher.set_state', 'ip', '1', u1).code, 0);
      assert.equal(dsctlAt(sock, 'dispatcher.set_duid_state', 'd', '1', 'gw2').code, 0);
      assert.equal(dsctlAt(sock, 'dispatcher.set_state', 'ip', '1', u3).code, 0);
      let o = overrides(sock);
      assert.deepEqual(
        o.map((x) => [x.SET, x.URI ?? `duid=${x.DUID}`, x.STATE, x.SOURCE]),
        [
          [1, u1, 'ip', 'dispatcher.set_state'],
          [1, u3, 'ip', 'dispatcher.set_state'],
          [1, 'duid=gw2', 'd', 'dispatcher.set_duid_state'],
        ].sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
      );
      assert.ok(o.every((x) => !Number.isNaN(Date.parse(x.SINCE))));
      // the state file is named after the control socket
      assert.ok(fs.existsSync(path.join(dir, 'dsd_ctl.admin-state.json')));

      // clear one: gone from the list of overrides, the destination keeps its state until a reload
      let r = dsctlAt(sock, 'dispatcher.clear_overrides', '1', u3);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, 'Ok. 1 override(s) cleared.\n');
      assert.deepEqual(
        overrides(sock)
          .map((x) => x.URI ?? x.DUID)
          .sort(),
        [u1, 'gw2'].sort(),
      );
      assert.equal(flagsOf(sock, u3), 'IP');
      await reload(sock);
      assert.equal(flagsOf(sock, u3), 'AX');
      assert.equal(flagsOf(sock, u1), 'IP');
      r = dsctlAt(sock, 'dispatcher.clear_overrides', '1', u3);
      assert.equal(r.code, 1);
      assert.match(r.err, /^error: 404 - Override Not Found/);

      // restart: restored, and labelled as such
      await stopKeep(d);
      d = await startDsd({
        cfg: fs.readFileSync(path.join(dir, 'dsd.cfg'), 'utf8').replaceAll(dir, '{DIR}'),
        list,
        files: { 'dsd_ctl.admin-state.json': fs.readFileSync(path.join(dir, 'dsd_ctl.admin-state.json'), 'utf8') },
      });
      fs.rmSync(dir, { recursive: true, force: true });
      const sock2 = `${d.dir}/dsd_ctl`;
      o = overrides(sock2);
      assert.deepEqual(
        o.map((x) => x.SOURCE),
        ['state file', 'state file'],
      );
      assert.equal(flagsOf(sock2, u1), 'IP');
      assert.equal(flagsOf(sock2, u2), 'DX');
      await d.waitFor(/admin states restored: .*ip/);

      // u1 leaves the list: its override is dropped with a log line; back in the list, it starts active
      fs.writeFileSync(path.join(d.dir, 'dispatcher.list'), `1 ${u2} 0 0 duid=gw2\n1 ${u3}\n`);
      await reload(sock2);
      await d.waitFor(new RegExp(`admin state for set 1 ${u1.replace(/[.]/g, '\\.')} \\(ip\\) dropped`));
      assert.deepEqual(
        overrides(sock2).map((x) => x.DUID),
        ['gw2'],
      );
      fs.writeFileSync(path.join(d.dir, 'dispatcher.list'), list);
      await reload(sock2);
      assert.equal(flagsOf(sock2, u1), 'AX');

      // clear all
      r = dsctlAt(sock2, 'dispatcher.clear_overrides');
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(overrides(sock2), []);
      const saved = JSON.parse(fs.readFileSync(path.join(d.dir, 'dsd_ctl.admin-state.json'), 'utf8')) as {
        states: unknown[];
      };
      assert.deepEqual(saved.states, []);
    } finally {
      await d.stop();
    }
  },
);

test('two daemons with control sockets in one directory keep their own admin states', { timeout: 90_000 }, async () => {
  const shared = tmpDir('dsd-shared-ctl-');
  const [pa, pb, b1] = await freePorts(3);
  const u1 = `sip:127.0.0.1:${b1}`;
  const cfgFor = (port: number, name: string) =>
    basicCfg({ listen: [`udp:127.0.0.1:${port}`] }).replace('unix:{DIR}/dsd_ctl', `unix:${shared}/${name}`);
  let a: Dsd | undefined;
  let b: Dsd | undefined;
  try {
    a = await startDsd({ cfg: cfgFor(pa!, 'a_ctl'), list: `1 ${u1}\n` });
    b = await startDsd({ cfg: cfgFor(pb!, 'b_ctl'), list: `1 ${u1}\n` });
    assert.equal(dsctlAt(`${shared}/a_ctl`, 'dispatcher.set_state', 'd', '1', u1).code, 0);
    assert.equal(flagsOf(`${shared}/a_ctl`, u1), 'DX');
    assert.ok(fs.existsSync(path.join(shared, 'a_ctl.admin-state.json')));
    assert.ok(!fs.existsSync(path.join(shared, 'b_ctl.admin-state.json')));
    // B restarts on the same directory: it must not pick up A's state
    const bCfg = fs.readFileSync(b.cfgFile, 'utf8').replaceAll(b.dir, '{DIR}');
    await b.stop();
    b = await startDsd({ cfg: bCfg, list: `1 ${u1}\n` });
    assert.equal(flagsOf(`${shared}/b_ctl`, u1), 'AX');
    assert.deepEqual(overrides(`${shared}/b_ctl`), []);
    assert.equal(overrides(`${shared}/a_ctl`).length, 1);
  } finally {
    await a?.stop();
    await b?.stop();
    fs.rmSync(shared, { recursive: true, force: true });
  }
});
