/** sanity in the cfg language. */
import type { Reg } from '../services';
import { sanityCheck } from './functions';

export function registerSanity(reg: Reg): void {
  reg.registerModule({ name: 'sanity' });
  reg.registerFunction({ name: 'sanity_check', exec: (ctx) => sanityCheck(ctx) });
}
