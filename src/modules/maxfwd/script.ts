/** maxfwd in the cfg language; modparam max_limit caps the value (default 256). */
import type { Reg } from '../services';
import { mfProcessMaxfwd } from './functions';

export function registerMaxfwd(reg: Reg): void {
  let maxLimit = 256;
  reg.registerModule({
    name: 'maxfwd',
    onParam: (name, value) => {
      if (name === 'max_limit') {
        const v = Number(value);
        if (!Number.isInteger(v) || v < 1 || v > 256) return 'max_limit must be 1..256';
        maxLimit = v;
      }
    },
  });
  for (const name of ['mf_process_maxfwd_header', 'maxfwd_process', 'process_maxfwd']) {
    reg.registerFunction({ name, exec: (ctx, limit: number) => mfProcessMaxfwd(ctx, limit, maxLimit) });
  }
  reg.registerFunction({
    name: 'is_maxfwd_lt',
    exec: (ctx, limit: number) => {
      const mf = ctx.msg.maxForwards;
      return mf !== null && !Number.isNaN(mf) && mf < limit ? 1 : -1;
    },
  });
}
