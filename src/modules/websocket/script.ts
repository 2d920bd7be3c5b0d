/** websocket in the cfg language: ws_handle_handshake() and the module's modparams. */
import type { Reg, Services } from '../services';
import { httpOf } from '../xhttp/request';
import { RouteType } from '../../script/route-types';

const WS_PARAMS = {
  keepalive_mechanism: 'int',
  keepalive_timeout: 'int',
  keepalive_interval: 'int',
  keepalive_processes: 'int',
  ping_application_data: 'str',
  sub_protocols: 'int',
  cors_mode: 'int',
  timer_interval: 'int',
  rm_delay_interval: 'int',
  verbose_list: 'int',
  event_callback: 'str',
} as const;

export function registerWebsocket(reg: Reg, svc: Services): void {
  reg.registerModule({
    name: 'websocket',
    params: WS_PARAMS,
    onParam: (name, value) => {
      if (name === 'keepalive_mechanism' && ![0, 1, 2, 3].includes(Number(value)))
        return 'keepalive_mechanism must be 0, 1, 2 or 3';
      if (name === 'sub_protocols' && (Number(value) & 1) === 0)
        return 'dsd serves the sip sub-protocol only (sub_protocols 1)';
    },
  });
  reg.registerFunction({
    name: 'ws_handle_handshake',
    module: 'websocket',
    params: [],
    routes: RouteType.EVENT,
    exec: (ctx) => {
      const r = httpOf(ctx);
      const ws = svc.websocket;
      if (!r || !ws) return -1;
      return ws.handshake(r) ? 1 : -1;
    },
  });
}
