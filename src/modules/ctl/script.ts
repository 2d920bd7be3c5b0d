/**
 * ctl: only its `binrpc` parameter matters — where the control socket listens
 * (`unix:/path`). dsd speaks JSON-RPC on it (dsctl), not Kamailio's binrpc.
 */
import type { Reg } from '../services';
import { parseCtlAddress, UnsupportedCtlAddressError } from '../../rpc-api/socket-path';

export function registerCtl(reg: Reg): void {
  reg.registerModule({
    name: 'ctl',
    onParam: (name, value) => {
      if (name !== 'binrpc') return;
      try {
        parseCtlAddress(String(value));
      } catch (e) {
        if (e instanceof UnsupportedCtlAddressError) return e.message;
        throw e;
      }
    },
  });
}
