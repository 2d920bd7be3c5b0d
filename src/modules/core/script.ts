/** Core functions that reach the SIP layer (forward). */
import type { Reg, Services } from '../services';
import { coreOf } from '../services';

export function registerCore(reg: Reg, svc: Services): void {
  reg.registerFunction({ name: 'forward', variants: [[]], exec: (ctx) => coreOf(svc).forwardStateless(ctx) });
}
