/**
 * jsonrpcs: loadmodule "jsonrpcs.so" serves the control socket's methods over Kamailio's
 * jsonrpcs FIFO and datagram transports (kamctl rpc, kamcli). Parameters as Kamailio 5.6,
 * plus dsd's limits max_request_size and read_timeout. The HTTP transport (transport bit 1,
 * xhttp + jsonrpc_dispatch) is not implemented.
 */
import type { Reg } from '../services';
import { KAMAILIO_MODPARAMS } from '../../script/kamailio-signatures';

const JSONRPCS_PARAMS = {
  ...KAMAILIO_MODPARAMS.jsonrpcs,
  max_request_size: 'int',
  read_timeout: 'int',
} as const;

export function registerJsonrpcs(reg: Reg): void {
  reg.registerModule({
    name: 'jsonrpcs',
    params: JSONRPCS_PARAMS,
    onParam: (name, value) => {
      const n = Number(value);
      if (name === 'transport' && (!Number.isInteger(n) || n < 0 || n > 15))
        return 'a bit mask: 1 http, 2 fifo, 4 datagram (0: all)';
      if ((name === 'max_request_size' || name === 'read_timeout') && n < 1) return 'must be 1 or more';
    },
  });
}
