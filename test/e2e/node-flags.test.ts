/**
 * The GC flags reach every process that carries SIP (src/daemon/node-flags.ts): `dsd` run
 * as a program gets them from its #! line, SIP workers from the primary even when the
 * primary was started without them, and an operator's own value is left alone.
 * Read from /proc/PID/cmdline, what node was really started with.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startDsd, basicCfg, Dsd, DsdOptions } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { callRpc } from '../../src/cli/client';
import { DAEMON_NODE_FLAGS } from '../../src/daemon/node-flags';
import type { WorkerRow } from '../../src/daemon/control';

const argvOf = (pid: number): string[] => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);

/** node's own flags in a process's command line: what precedes the script. */
const nodeFlagsOf = (pid: number): string[] => {
  const argv = argvOf(pid);
  const script = argv.findIndex((a) => a.endsWith('/bin/dsd'));
  // a cluster worker runs the same script as its primary
  assert.ok(script > 0, argv.join(' '));
  return argv.slice(1, script);
};

async function withDsd(children: number, o: Partial<DsdOptions>, fn: (dsd: Dsd) => Promise<void>): Promise<void> {
  const [px] = await freePorts(1);
  const dsd = await startDsd({
    cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`] }),
    list: `1 sip:127.0.0.1:${px + 1} 0 0\n`,
    args: ['-n', String(children)],
    startTimeoutMs: 30_000,
    ...o,
  });
  try {
    await fn(dsd);
  } finally {
    assert.equal(await dsd.stop(), 0, dsd.output().slice(-3000));
  }
}

const workerPids = async (dsd: Dsd): Promise<number[]> =>
  ((await callRpc(`${dsd.dir}/dsd_ctl`, 'core.workers', undefined, 10_000)) as WorkerRow[]).map((w) => w.PID);

test('dsd run as a program: node starts with the flags of its #! line', async () => {
  await withDsd(1, { node: '#!' }, async (dsd) => {
    assert.deepEqual(nodeFlagsOf(dsd.proc.pid!), DAEMON_NODE_FLAGS);
  });
});

test('node bin/dsd -n 2 without flags: the primary has none, each SIP worker has them', async () => {
  await withDsd(2, { node: [] }, async (dsd) => {
    assert.deepEqual(nodeFlagsOf(dsd.proc.pid!), []);
    const pids = await workerPids(dsd);
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.deepEqual(nodeFlagsOf(pid), DAEMON_NODE_FLAGS, `worker ${pid}`);
  });
});

test("an operator's --max-semi-space-size and --memory-reducer are the ones the workers get", async () => {
  await withDsd(2, { node: ['--max-semi-space-size=16', '--memory-reducer'] }, async (dsd) => {
    const given = ['--max-semi-space-size=16', '--memory-reducer'];
    // the rest of the daemon's flags are added
    const rest = DAEMON_NODE_FLAGS.filter((f) => !/^--(no-)?(max-semi-space-size|memory-reducer)/.test(f));
    for (const pid of await workerPids(dsd)) assert.deepEqual(nodeFlagsOf(pid), [...given, ...rest]);
  });
});
