/**
 * cfgutils' sleep(seconds) and usleep(microseconds): they hold the process that runs them,
 * as in Kamailio, where they hold one child. In dsd that is a whole event loop (a worker
 * of several): every message it reads waits meanwhile, which is what these functions are
 * for in a test or a runbook (holding a reader back on purpose). The rest of cfgutils is
 * not implemented; a script that calls it is refused at load.
 */
import type { Reg, Services } from '../services';

const cell = new Int32Array(new SharedArrayBuffer(4));

/** Holds the thread for `ms` milliseconds (Atomics.wait: no CPU spent, nothing else runs). */
function hold(ms: number): void {
  if (ms > 0) Atomics.wait(cell, 0, 0, ms);
}

export function registerCfgutils(reg: Reg, svc: Services): void {
  // the start-up warm-up runs the script over synthetic calls: those do not wait
  reg.registerModule({ name: 'cfgutils' });
  reg.registerFunction({
    name: 'sleep',
    module: 'cfgutils',
    params: ['igp'],
    exec: (_ctx, s: number) => {
      if (!svc.warming) hold(Number(s) * 1000);
      return 1;
    },
  });
  reg.registerFunction({
    name: 'usleep',
    module: 'cfgutils',
    params: ['igp'],
    exec: (_ctx, us: number) => {
      if (!svc.warming) hold(Number(us) / 1000);
      return 1;
    },
  });
}
