/**
 * The README's quick start, as written: its sipp command lines are read from README.md and
 * run with the scenarios shipped in etc/sipp against dsd on the shipped etc/dsd.cfg (only
 * the ports are swapped for free ones, and sipp's -bg for a child process the test can
 * stop). 100 calls at 10 per second all complete, split 50/50 over the two backends; with
 * one backend stopped, calls still complete (failover after fr_timer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startDsd, basicCfg, REPO, tmpDir, type Dsd, destinationList } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { haveSipp, portBound } from '../helpers/sipp';
import { callRpc } from '../../src/cli/client';
import { unlessCi } from '../helpers/require';

/** The `sipp …` lines of the README's quick start. */
function quickStartLines(): string[][] {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const start = readme.indexOf('## Quick start');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return section
    .split('\n')
    .filter((l) => /^ {4}sipp /.test(l))
    .map((l) => l.trim().split(/\s+/));
}

interface Run {
  proc: ChildProcess;
  done: Promise<number | null>;
  out: () => string;
}

function run(argv: string[], cwd: string): Run {
  const proc = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out = (out + String(d)).slice(-20_000)));
  proc.stderr!.on('data', (d) => (out = (out + String(d)).slice(-20_000)));
  const done = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  return { proc, done, out: () => out };
}

async function stop(r: Run | undefined): Promise<void> {
  if (!r || r.proc.exitCode !== null || r.proc.signalCode !== null) return;
  r.proc.kill('SIGINT');
  const t = setTimeout(() => r.proc.kill('SIGKILL'), 5000);
  await r.done;
  clearTimeout(t);
}

test(
  'README quick start: the shipped sipp scenarios, 100 calls split 50/50, failover when one stops',
  { skip: unlessCi(haveSipp() ? null : 'sipp missing'), timeout: 180_000 },
  async () => {
    const lines = quickStartLines();
    assert.equal(lines.length, 3, 'the quick start has two backends and one UAC line');
    for (const l of lines) assert.ok(fs.existsSync(path.join(REPO, l[2]!)), `${l[2]} is shipped`);
    const [px, b1, b2, uac, c1, c2, c3, c4] = await freePorts(8);
    const ports: Record<string, number> = { '5060': px!, '5080': b1!, '5081': b2!, '5070': uac! };
    const control = [c1!, c2!, c3!, c4!];
    const cwd = tmpDir('dsd-quick-');
    /** A README line with free ports, run in the foreground of a child, scenarios from the checkout. */
    const argv = (l: string[], ctl: number, calls?: number): string[] => {
      const a = l
        .filter((x) => x !== '-bg')
        .map((x) => x.replace(/\b(5060|5070|5080|5081)\b/g, (p) => String(ports[p])))
        .map((x) => (x.startsWith('etc/') ? path.join(REPO, x) : x));
      if (calls !== undefined) a[a.indexOf('-m') + 1] = String(calls);
      return [...a, '-nostdin', '-cp', String(ctl)];
    };
    let d: Dsd | undefined;
    const uas: Run[] = [];
    try {
      d = await startDsd({
        // fr_timer 8 s: a starved sipp answering late is no failover (the split stays 50/50),
        // and the stopped backend is still failed over from within the UAC's patience
        cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`], params: ['modparam("tm", "fr_timer", 8000)'] }),
        list: destinationList([b1, b2]),
      });
      uas.push(run(argv(lines[0]!, control[0]!), cwd), run(argv(lines[1]!, control[1]!), cwd));
      for (const p of [b1!, b2!]) {
        const until = Date.now() + 30_000;
        while (!portBound(p, 'udp', '127.0.0.1')) {
          assert.ok(Date.now() < until, `a backend sipp did not bind ${p}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      const calls = run(argv(lines[2]!, control[2]!), cwd);
      const code = await calls.done;
      assert.equal(code, 0, `sipp UAC: ${calls.out().slice(-3000)}`);
      const stats = (await callRpc(`${d.dir}/dsd_ctl`, 'dispatcher.stats', undefined, 10_000)) as Array<{
        URI: string;
        CALLS: number;
      }>;
      assert.deepEqual(
        stats.map((s) => [s.URI, s.CALLS]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        [
          [`sip:127.0.0.1:${b1}`, 50],
          [`sip:127.0.0.1:${b2}`, 50],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );

      // one backend stopped: the calls still complete
      await stop(uas[1]);
      const more = run(argv(lines[2]!, control[3]!, 6), cwd);
      const code2 = await more.done;
      assert.equal(code2, 0, `sipp UAC after a backend stopped: ${more.out().slice(-3000)}`);
      const after = (await callRpc(`${d.dir}/dsd_ctl`, 'dispatcher.stats', undefined, 10_000)) as Array<{
        URI: string;
        FAILOVERS: number;
      }>;
      assert.ok(after.find((s) => s.URI === `sip:127.0.0.1:${b2}`)!.FAILOVERS >= 1, JSON.stringify(after));
    } finally {
      for (const u of uas) await stop(u);
      await d?.stop();
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  },
);
