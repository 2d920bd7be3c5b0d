/** xhttp in the cfg language: xhttp_reply() and $hu in event_route[xhttp:request]. */
import type { Reg, Services } from '../services';
import { httpOf } from './request';
import { RouteType } from '../../script/route-types';

export function registerXhttp(reg: Reg, svc: Services): void {
  reg.registerModule({ name: 'xhttp', params: { url_match: 'str', url_skip: 'str', event_callback: 'str' } });
  reg.registerFunction({
    name: 'xhttp_reply',
    module: 'xhttp',
    params: ['fmt', 'fmt', 'fmt', 'fmt'],
    routes: RouteType.EVENT,
    exec: (ctx, code: string, reason: string, ctype: string, body: string) => {
      const r = httpOf(ctx);
      const http = svc.xhttp;
      if (!r || !http) return -1;
      const n = Number(code);
      if (!Number.isInteger(n) || n < 100 || n > 699) return -1;
      http.reply(r, n, reason, ctype, body);
      return 1;
    },
  });
  reg.registerPv({ name: 'hu', module: 'xhttp', get: (ctx) => httpOf(ctx)?.url ?? null });
}
