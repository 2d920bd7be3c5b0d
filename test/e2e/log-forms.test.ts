/**
 * The log as an operator reads it, through the real dsd: the human-readable form
 * (`--log-format pretty`, and by default for -E on a terminal, here a pseudo-terminal made
 * by util-linux `script`), and a destination going down logged as a WARNING with its set,
 * URI and reply code as fields (coming back: NOTICE), as Kamailio logs it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startDsd, basicCfg, DSD_BIN, tmpDir, type Dsd } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { needs } from '../helpers/require';
import { UdpPeer, makeResponse, methodOf, statusOf } from '../helpers/sip-peer';
import { waitUntil } from '../helpers/wait';

const ESC = String.fromCharCode(27);
/** `[date time] NOTICE: `, the level maybe coloured. */
const READABLE = new RegExp(
  `^\\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\] (?:${ESC}\\[\\d+m)?NOTICE(?:${ESC}\\[\\d+m)?: `,
);

test('--log-format pretty: one readable line per event, fields after the message', { timeout: 60_000 }, async () => {
  const [port] = await freePorts(1);
  let d: Dsd | undefined;
  try {
    d = await startDsd({
      cfg: basicCfg({ listen: [`udp:127.0.0.1:${port}`] }),
      list: '1 sip:127.0.0.1:5080\n',
      args: ['--log-format', 'pretty'],
    });
    const lines = d.output().split('\n').filter(Boolean);
    const started = lines.find((l) => l.includes(' started, listening on'));
    assert.ok(started, d.output());
    assert.match(started, READABLE);
    // the structured fields follow the message, not the other way round
    assert.match(started, /started, listening on udp:127\.0\.0\.1:\d+.* \{"version":/);
    assert.ok(!lines.some((l) => l.startsWith('{"level"')), d.output());
  } finally {
    await d?.stop();
  }
});

test('-E on a terminal logs the readable form by default', { skip: needs('script'), timeout: 60_000 }, async () => {
  const [port] = await freePorts(1);
  const dir = tmpDir();
  const cfgFile = path.join(dir, 'dsd.cfg');
  fs.writeFileSync(cfgFile, basicCfg({ listen: [`udp:127.0.0.1:${port}`] }).replaceAll('{DIR}', dir));
  fs.writeFileSync(path.join(dir, 'dispatcher.list'), '1 sip:127.0.0.1:5080\n');
  const pidFile = path.join(dir, 'dsd.pid');
  const cmd = [process.execPath, DSD_BIN, '-DD', '-E', '-n', '1', '-P', pidFile, '-f', cfgFile].join(' ');
  // script runs the command on a pseudo-terminal and copies what it prints
  const s = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  s.stdout.on('data', (b) => (out += b));
  s.stderr.on('data', (b) => (out += b));
  try {
    await waitUntil(() => (out.includes(' started, listening on') ? true : null), {
      timeoutMs: 30_000,
      what: 'dsd started on the terminal',
    });
    const started = out.split(/\r?\n/).find((l) => l.includes(' started, listening on'))!;
    assert.match(started, READABLE);
    // colours for a terminal
    assert.ok(new RegExp(`${ESC}\\[\\d+mNOTICE`).test(started), started);
    assert.ok(!out.includes('{"level"'), out);
  } finally {
    const pid = Number(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim() : NaN);
    if (Number.isInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    await waitUntil(() => (s.exitCode !== null || s.signalCode !== null ? true : null), { timeoutMs: 20_000 }).catch(
      () => s.kill('SIGKILL'),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('dst-down is a WARNING with set, URI and code; dst-up a NOTICE', { timeout: 90_000 }, async () => {
  const [port, bp] = await freePorts(2);
  const peer = await UdpPeer.open({ host: '127.0.0.1', port: bp! });
  let code = 503;
  peer.onMessage((m) => {
    if (statusOf(m.text) !== 0 || methodOf(m.text) !== 'OPTIONS') return;
    peer.sock.send(makeResponse(m.text, code, code === 200 ? 'OK' : 'Service Unavailable'), m.from.port, m.from.ip);
  });
  const uri = `sip:127.0.0.1:${bp}`;
  let d: Dsd | undefined;
  try {
    d = await startDsd({
      cfg: basicCfg({
        listen: [`udp:127.0.0.1:${port}`],
        params: ['modparam("dispatcher", "ds_ping_interval", 1)', 'modparam("dispatcher", "ds_probing_mode", 1)'],
      }),
      list: `1 ${uri}\n`,
    });
    const dsd = d;
    const line = (event: string): Record<string, unknown> | null =>
      dsd
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((o) => o.event === event) ?? null;
    const down = await waitUntil(() => line('dispatcher:dst-down'), { timeoutMs: 30_000, what: 'dst-down' });
    assert.equal(down.level, 'warn');
    assert.equal(down.set, 1);
    assert.equal(down.uri, uri);
    assert.equal(down.code, 503);
    assert.match(
      String(down.msg),
      new RegExp(`dispatcher:dst-down: set 1 ${uri.replaceAll('.', '\\.')} \\(code 503\\)`),
    );
    code = 200;
    const up = await waitUntil(() => line('dispatcher:dst-up'), { timeoutMs: 30_000, what: 'dst-up' });
    assert.equal(up.level, 'notice');
    assert.equal(up.code, 200);
  } finally {
    await d?.stop();
    await peer.close();
  }
});
