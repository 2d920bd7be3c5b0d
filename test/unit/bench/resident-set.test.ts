/**
 * bench/lib/resident-set.ts: the memory figure `bench:compare` sets against Kamailio's.
 * Three idle node processes share node's binary; the group's resident set must count
 * those pages once, so it comes out well under the sum of the three RSS, and at least
 * as large as any one of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawn, ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { residentSet } from '../../../bench/lib/resident-set';

function vmRssBytes(pid: number): number {
  const m = /\nVmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
  assert.ok(m, `VmRSS of ${pid}`);
  return Number(m[1]) * 1024;
}

async function idleNode(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'process.stdout.write("up\\n"); setInterval(() => {}, 60_000)'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  assert.equal(chunk.toString(), 'up\n');
  return child;
}

test('a group of node processes: shared pages counted once', async () => {
  const kids: ChildProcess[] = [];
  try {
    for (let i = 0; i < 3; i++) kids.push(await idleNode());
    const pids = kids.map((k) => k.pid!);
    const set = residentSet(pids);
    if (process.getuid?.() !== 0) {
      // without CAP_SYS_ADMIN the kernel hides frame numbers: no figure rather than a wrong one
      assert.equal(set, null);
      return;
    }
    assert.ok(set);
    const rss = pids.map(vmRssBytes);
    const rssSum = rss.reduce((a, b) => a + b, 0);
    // pagemap's present pages are what VmRSS counts (idle processes: within a few pages)
    assert.ok(Math.abs(set.summed - rssSum) < 0.05 * rssSum, `summed ${set.summed} against VmRSS ${rssSum}`);
    assert.ok(
      set.unique >= Math.max(...rss) * 0.95,
      `unique ${set.unique} below one process's RSS ${Math.max(...rss)}`,
    );
    // node's binary (~35 MB resident) is shared by the three: counted once, not three times
    assert.ok(set.unique < 0.8 * set.summed, `unique ${set.unique} is not below 80 % of summed ${set.summed}`);
    const one = residentSet([pids[0]!]);
    assert.ok(one && one.unique <= one.summed);
  } finally {
    for (const k of kids) k.kill('SIGKILL');
    await Promise.all(kids.map((k) => (k.exitCode === null && k.signalCode === null ? once(k, 'exit') : null)));
  }
});

test('a pid that is gone adds nothing', () => {
  assert.deepEqual(residentSet([0x3fffffff]), { unique: 0, summed: 0 });
});
