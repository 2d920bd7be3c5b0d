/**
 * dsctl as an operator meets it, through the real bin/dsctl against the real dsd: help and
 * version with -s in front, global options and exit codes in --help, a typo answered with
 * the closest method the daemon offers and exit 2, cluster.list on a daemon without
 * clustering, set_duid_state --persist written to the list file, top --once --json, and
 * errors as JSON under --json.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startDsd, basicCfg, Dsd } from '../helpers/daemon';
import { dsctlArgs } from '../helpers/ctl';
import { freePorts } from '../helpers/ports';

let dsd: Dsd;
let sock: string;

const dsctl = dsctlArgs;

before(async () => {
  const [sip, b1, b2] = await freePorts(3);
  dsd = await startDsd({
    cfg: basicCfg({
      listen: [`udp:127.0.0.1:${sip}`],
      params: ['modparam("ctl", "mode", 0640)', `modparam("ctl", "group", "${process.getgid!()}")`],
    }),
    list: `1 sip:127.0.0.1:${b1} 0 0 duid=gw1\n1 sip:127.0.0.1:${b2} 0 0 duid=gw2\n`,
  });
  sock = `unix:${dsd.dir}/dsd_ctl`;
});
after(async () => {
  await dsd?.stop();
});

test('-s before --help and --version: help and version, exit 0', () => {
  const h = dsctl('-s', sock, '--help');
  assert.equal(h.code, 0, h.err);
  assert.match(h.out, /GLOBAL OPTIONS/);
  assert.match(h.out, /--socket=unix:\/path/);
  assert.match(h.out, /--json/);
  assert.match(h.out, /EXIT STATUS/);
  for (const rc of ['0', '1', '2', '3', '4']) assert.match(h.out, new RegExp(`^\\s+${rc}  \\S`, 'm'));
  const v = dsctl('-s', sock, '--version');
  assert.equal(v.code, 0, v.err);
  assert.match(v.out, /^dsd\/\d+\.\d+\.\d+ /);
  const hs = dsctl('--socket', sock, '--json', '-h');
  assert.equal(hs.code, 0, hs.err);
  assert.match(hs.out, /COMMANDS/);
});

test('a typo gets the closest method the daemon offers and exit 2', () => {
  const r = dsctl('-s', sock, 'dispatcher.lsit');
  assert.equal(r.code, 2, r.err);
  assert.equal(r.err, 'dsctl: unknown command "dispatcher.lsit"; did you mean dispatcher.list?\n');
  const far = dsctl('-s', sock, 'nothing.like.this');
  assert.equal(far.code, 2);
  assert.match(far.err, /unknown command "nothing\.like\.this" \(dsctl system\.listMethods lists/);
  const word = dsctl('-s', sock, 'dispatchr', 'list');
  assert.equal(word.code, 2);
  assert.match(word.err, /did you mean dispatcher\?/);
});

test('--json: errors are one JSON object on stderr with the exit status', () => {
  const typo = dsctl('-s', sock, '--json', 'dispatcher.lsit');
  assert.equal(typo.code, 2);
  assert.deepEqual(JSON.parse(typo.err), {
    error: { kind: 'usage', message: 'unknown command "dispatcher.lsit"; did you mean dispatcher.list?', exit: 2 },
  });
  const rpc = dsctl('-s', sock, '--json', 'dispatcher.set_state', 'ip', '7', 'sip:nowhere');
  assert.equal(rpc.code, 1);
  const e = JSON.parse(rpc.err).error;
  assert.equal(e.kind, 'rpc');
  assert.equal(typeof e.code, 'number');
  assert.equal(e.exit, 1);
  const conn = dsctl('-s', `unix:${dsd.dir}/no_such_ctl`, '--json', 'core.version');
  assert.equal(conn.code, 3);
  assert.equal(JSON.parse(conn.err).error.kind, 'connection');
  const usage = dsctl('-s', sock, '--json', 'dispatcher.set_state', 'ip');
  assert.equal(usage.code, 2);
  assert.equal(JSON.parse(usage.err).error.kind, 'usage');
});

test('cluster.list on a daemon without clustering: not offered, and dsctl says why', () => {
  const methods = dsctl('-s', sock, 'system.listMethods');
  assert.equal(methods.code, 0);
  assert.ok(!methods.out.split('\n').includes('cluster.list'), methods.out);
  assert.ok(methods.out.split('\n').includes('dispatcher.list'));
  const r = dsctl('-s', sock, 'cluster.list');
  assert.equal(r.code, 1);
  assert.match(r.err, /^error: 500 - Method Not Found \(this dsd does not offer cluster\.list: clustering is off/);
});

test("set_duid_state --persist is accepted and rewrites the flags of the duid's line", () => {
  const r = dsctl('-s', sock, 'dispatcher.set_duid_state', '--persist', 'ip', '1', 'gw2');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'Ok. Dispatcher state updated.\n');
  const lines = fs.readFileSync(`${dsd.dir}/dispatcher.list`, 'utf8').trimEnd().split('\n');
  assert.match(lines[0]!, / 0 0 duid=gw1$/);
  assert.match(lines[1]!, / 9 0 duid=gw2$/); // inactive (1) + probing (8)
  const list = dsctl('-s', sock, 'dispatcher.list');
  assert.match(list.out, /duid=gw2|FLAGS: IP/);
});

test('dispatcher.top --once --json prints JSON, one object per destination', () => {
  const r = dsctl('-s', sock, 'dispatcher.top', '--once', '--json', '--interval', '0.2');
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out) as { destinations: Array<{ set: number; uri: string; state: string; flags: string }> };
  assert.equal(doc.destinations.length, 2);
  assert.ok(doc.destinations.every((d) => d.set === 1 && d.uri.startsWith('sip:127.0.0.1:')));
  assert.ok(
    doc.destinations.some((d) => d.flags.startsWith('I')),
    JSON.stringify(doc),
  );
  const kamcli = dsctl('-s', sock, 'dispatcher', 'top', '--once', '--json', '--interval', '0.2');
  assert.equal(kamcli.code, 0, kamcli.err);
  assert.equal(JSON.parse(kamcli.out).destinations.length, 2);
});

test("ctl mode and group set the socket file's permissions and group", () => {
  const st = fs.statSync(`${dsd.dir}/dsd_ctl`);
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, 0o640);
  assert.equal(st.gid, process.getgid!());
});
