/** rr in the cfg language. */
import type { Reg, Services } from '../services';
import { coreOf } from '../services';
import * as rr from './functions';
import { kindsOf } from '../../core/modparams';
import { RR_PARAMS } from './params';

export function registerRr(reg: Reg, svc: Services): void {
  reg.registerModule({ name: 'rr', params: kindsOf([RR_PARAMS]) });
  reg.registerFunction({ name: 'record_route', exec: (ctx) => rr.recordRoute(ctx), variants: [[]] });
  reg.registerFunction({ name: 'loose_route', exec: (ctx) => rr.looseRoute(coreOf(svc), ctx) });
}
