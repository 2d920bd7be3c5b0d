/**
 * ctl: `binrpc` says where the control socket listens (`unix:/path`); on it dsd speaks
 * both Kamailio's binrpc (kamcmd) and JSON-RPC lines (dsctl). Further binrpc lines
 * (tcp:host:port, udp:host:port, unixd:/path, more unix paths) serve binrpc only. dsd's own limits:
 * `idle_timeout` (seconds a silent connection is kept, Kamailio's 120 by default; 0 = never
 * closed) and `max_connections` (Kamailio's 128).
 */
import type { Reg } from '../services';
import { parseBinrpcAddress, BinrpcAddressError } from '../../control/binrpc/address';
import { kindsOf } from '../../core/modparams';
import { CTL_PARAMS } from './params';

export function registerCtl(reg: Reg): void {
  reg.registerModule({
    name: 'ctl',
    params: kindsOf([CTL_PARAMS]),
    onParam: (name, value) => {
      if (name === 'idle_timeout' && Number(value) < 0) return 'must be 0 (never) or more seconds';
      if (name === 'max_connections' && Number(value) < 1) return 'must be at least 1';
      if (name !== 'binrpc') return;
      try {
        parseBinrpcAddress(String(value));
      } catch (e) {
        if (e instanceof BinrpcAddressError) return e.message;
        throw e;
      }
    },
  });
}
