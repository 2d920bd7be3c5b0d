/**
 * pike in the cfg language: pike_check_req() and pike_check_ip(ip), its modparams, and
 * pike.top / pike.list on the control socket (registered only when pike.so is loaded).
 */
import type { Reg, Services } from '../services';
import { RouteType as R } from '../../script/route-types';
import { RpcError } from '../../rpc-api/errors';
import { Pike, PikeParams, PIKE_DEFAULTS } from './pike';

const PARAMS: Record<string, keyof PikeParams> = {
  sampling_time_unit: 'samplingTimeUnit',
  reqs_density_per_unit: 'reqsDensityPerUnit',
  remove_latency: 'removeLatency',
  pike_log_level: 'logLevel',
};

export function registerPike(reg: Reg, svc: Services): void {
  const params: PikeParams = { ...PIKE_DEFAULTS };
  let pike: Pike | null = null;
  // created at first use, after the config set the parameters and the daemon the logger
  // the start-up warm-up counts in a tree of its own, dropped with its first real use
  let warmPike: Pike | null = null;
  const get = (): Pike => {
    if (svc.warming) return (warmPike ??= new Pike(params, svc.log));
    if (warmPike) {
      warmPike.stop();
      warmPike = null;
    }
    return (pike ??= new Pike(params, svc.log));
  };
  reg.registerModule({
    name: 'pike',
    params: Object.fromEntries(Object.keys(PARAMS).map((k) => [k, 'int' as const])),
    onParam: (name, value) => {
      const v = Number(value);
      if (name !== 'pike_log_level' && (!Number.isInteger(v) || v < 1)) return `${name} must be a positive integer`;
      if (name === 'reqs_density_per_unit' && v > 0xfffe) return `${name} must be at most 65534`;
      const key = PARAMS[name];
      if (key) params[key] = v;
    },
  });
  const routes = R.REQUEST | R.ONREPLY;
  reg.registerFunction({
    name: 'pike_check_req',
    module: 'pike',
    params: [],
    routes,
    exec: (ctx) => get().check(ctx.src.ip),
  });
  reg.registerFunction({
    name: 'pike_check_ip',
    module: 'pike',
    params: ['fmt'],
    routes,
    exec: (_ctx, ip: string) => get().check(String(ip)),
  });
  const top = (args: readonly unknown[]): unknown => {
    const r = get().top(args[0] === undefined ? undefined : String(args[0]));
    if ('error' in r) throw new RpcError(500, r.error);
    return r;
  };
  svc.rpc ??= [];
  svc.rpc.push({ module: 'pike', name: 'pike.top', handler: top }, { module: 'pike', name: 'pike.list', handler: top });
}
