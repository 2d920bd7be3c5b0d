/** siputils in the cfg language. */
import type { Reg } from '../services';
import { hasTotag } from './functions';
import { RouteType } from '../../proxy/context';

export function registerSiputils(reg: Reg): void {
  reg.registerModule({ name: 'siputils' });
  reg.registerFunction({ name: 'has_totag', exec: (ctx) => hasTotag(ctx) });
  reg.registerFunction({
    name: 'is_request',
    exec: (ctx) => (ctx.reply && (ctx.routeType & RouteType.ONREPLY) !== 0 ? -1 : 1),
  });
  reg.registerFunction({
    name: 'is_reply',
    exec: (ctx) => (ctx.reply && (ctx.routeType & RouteType.ONREPLY) !== 0 ? 1 : -1),
  });
}
