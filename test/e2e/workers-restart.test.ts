/**
 * children=N: what a worker restarted after a crash gets back before it takes traffic.
 * The log level set at run time with `corex.debug` is runtime state like the dispatcher's
 * add/remove and states: the restarted worker takes it over (a reload in between keeps it),
 * instead of falling back to the cfg's `debug=`. Real daemon, real dsctl and kamcmd.
 * (Warm-up before traffic while the others carry the share: test/e2e/warmup.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDsd, basicCfg } from '../helpers/daemon';
import { dsctlOnAsync, kamcmdAsync } from '../helpers/ctl';
import { freePorts } from '../helpers/ports';
import { needs } from '../helpers/require';
import { waitUntil } from '../helpers/wait';

interface WorkerRow {
  INDEX: number;
  PID: number;
  READY: number;
}

test(
  'the corex.debug level survives a dispatcher.reload and a worker restarted after SIGKILL',
  { skip: needs('kamcmd'), timeout: 120_000 },
  async () => {
    const [px, b1] = await freePorts(2);
    const dsd = await startDsd({
      cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`], params: ['modparam("dispatcher", "reload_delta", 0)'] }),
      list: `1 sip:127.0.0.1:${b1} 0 0\n`,
      args: ['-n', '2'],
      startTimeoutMs: 30_000,
    });
    const ctl = async (...args: string[]): Promise<unknown> => {
      const r = await dsctlOnAsync(dsd, '--json', ...args);
      assert.equal(r.code, 0, `dsctl ${args.join(' ')}: ${r.err}`);
      return JSON.parse(r.out) as unknown;
    };
    try {
      const cfgLevel = ((await ctl('corex.debug')) as { debug: number }).debug;
      const level = cfgLevel === 3 ? 1 : 3;
      assert.deepEqual(await ctl('corex.debug', String(level)), { old: cfgLevel, new: level });
      // a reload clears the add/remove replay; the level is not part of the list and stays
      await ctl('dispatcher.reload');
      const rows = (await ctl('core.workers')) as WorkerRow[];
      // worker 0 answers the primary's reads while it is live: kill it, the restarted one answers
      const victim = rows.find((r) => r.INDEX === 0)!;
      process.kill(victim.PID, 'SIGKILL');
      await dsd.waitFor(`worker 0 (pid ${victim.PID}) died`, 20_000);
      await waitUntil(
        async () =>
          ((await ctl('core.workers')) as WorkerRow[]).some(
            (r) => r.INDEX === 0 && r.READY === 1 && r.PID !== victim.PID,
          ),
        { timeoutMs: 60_000, everyMs: 200, what: 'worker 0 restarted and ready' },
      );
      assert.deepEqual(await ctl('corex.debug'), { debug: level }, dsd.output().slice(-3000));
      // Kamailio's own client reads the same
      const k = await kamcmdAsync(`${dsd.dir}/dsd_ctl`, 'corex.debug');
      assert.equal(k.code, 0, k.err);
      assert.match(k.out, new RegExp(`\\b${level}\\b`));
    } finally {
      assert.equal(await dsd.stop(), 0, dsd.output().slice(-3000));
    }
  },
);
