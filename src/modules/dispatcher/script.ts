/**
 * The dispatcher in the cfg language: every ds_* function, $dsv (event routes) and $dsg
 * (ds_dsg_fetch), and the `_dsdst_` / `_dsctx_` XAVPs mirrored into the script's store so
 * `$xavp(_dsdst_=>uri)` reads what Kamailio's would.
 */
import type { Reg, Services } from '../services';
import { dispatcherOf } from '../services';
import type { RequestContext } from '../../proxy/context';
import { storeOf } from '../script-store';
import { DS_DSG, DS_EVENT } from './request-state';
import { DISPATCHER_PARAMS } from './modparams';
import { kindsOf, type ParamExport } from '../../core/modparams';

function dsvValue(ctx: RequestContext, key: string): string | number | null {
  const d = ctx.get(DS_EVENT);
  if (!d) return null;
  switch (key) {
    case 'code':
      return d.ev.context.code;
    case 'reason':
      return d.ev.context.reason;
    case 'flags':
      return d.ev.context.flags;
    case 'uri':
      return d.ev.uri;
    case 'setid':
    case 'group':
      return d.ev.setId;
    default:
      return null;
  }
}

function pvTarget(spec: string | undefined): ((ctx: RequestContext, v: string | number) => void) | null {
  if (!spec) return null;
  const m = /^\$avp\(([^)]+)\)$/.exec(spec.trim());
  if (!m) return null;
  const name = m[1]!.replace(/^s:/, '');
  return (ctx, v) => storeOf(ctx).avps.replace(name, v);
}

/**
 * `backends`: the parameter tables of the dispatcher's backends (db/, cluster/,
 * metrics/), also under modparam("dispatcher", …) — they import the dispatcher, so their
 * tables are handed in rather than imported here, and the imports run one way.
 */
export function registerDispatcher(reg: Reg, svc: Services, backends: ReadonlyArray<ParamExport<unknown>> = []): void {
  let setidPv: ((ctx: RequestContext, v: string | number) => void) | null = null;
  let attrsPv: ((ctx: RequestContext, v: string | number) => void) | null = null;
  reg.registerModule({
    name: 'dispatcher',
    params: kindsOf([DISPATCHER_PARAMS, ...backends]),
    onParam: (name, value) => {
      if (name === 'setid_pvname' || name === 'attrs_pvname') {
        const t = pvTarget(String(value));
        if (!t) return `${name}: only $avp(name) is supported by dsd`;
        if (name === 'setid_pvname') setidPv = t;
        else attrsPv = t;
      }
    },
  });
  const ds = () => dispatcherOf(svc);
  const sel = (mode: 'dst' | 'domain' | 'xavp') => (ctx: RequestContext, set: number, alg: number, limit?: number) =>
    ds().select(ctx, set, alg, mode, limit);
  reg.registerFunction({ name: 'ds_select_dst', exec: sel('dst') });
  reg.registerFunction({ name: 'ds_select_domain', exec: sel('domain') });
  reg.registerFunction({ name: 'ds_select', exec: sel('xavp') });
  reg.registerFunction({
    name: 'ds_select_routes',
    exec: (ctx, rules: string, mode: string, limit?: number) => ds().selectRoutes(ctx, rules, mode, limit),
  });
  reg.registerFunction({ name: 'ds_next_dst', exec: (ctx) => ds().next(ctx, 'dst', true) });
  reg.registerFunction({ name: 'ds_next_domain', exec: (ctx) => ds().next(ctx, 'domain', true) });
  reg.registerFunction({ name: 'ds_set_dst', exec: (ctx) => ds().next(ctx, 'dst', false) });
  reg.registerFunction({ name: 'ds_set_domain', exec: (ctx) => ds().next(ctx, 'domain', false) });
  reg.registerFunction({ name: 'ds_mark_dst', exec: (ctx, state?: string) => ds().mark(ctx, state ?? null) });
  reg.registerFunction({
    name: 'ds_mark_addr',
    exec: (ctx, state: string, set: number, uri: string) => ds().markAddr(ctx, state, set, uri),
  });
  reg.registerFunction({
    name: 'ds_is_from_list',
    exec: (ctx, group?: number, mode?: number, uri?: string) => {
      const rt = ds();
      const done = (m: { code: number; setId: number | null; attrs: string | null }): number => {
        if (m.code > 0) {
          if (setidPv && m.setId !== null) setidPv(ctx, m.setId);
          if (attrsPv && m.attrs !== null) attrsPv(ctx, m.attrs);
        }
        return m.code;
      };
      if (uri !== undefined) {
        return rt.ds
          .isFromListUri(uri, group ?? -1, mode ?? 0)
          .then((m) => done({ code: m.code, setId: m.setId ?? null, attrs: m.attrs ?? null }));
      }
      return done(rt.isFromList(ctx, group ?? -1, mode ?? 2));
    },
  });
  reg.registerFunction({ name: 'ds_list_exists', exec: (_ctx, g: number) => ds().ds.listExists(g) });
  reg.registerFunction({ name: 'ds_list_exist', exec: (_ctx, g: number) => ds().ds.listExists(g) });
  reg.registerFunction({
    name: 'ds_is_active',
    exec: (_ctx, g: number, uri?: string) => ds().ds.isActive(g, uri ?? null),
  });
  reg.registerFunction({ name: 'ds_load_update', exec: (ctx) => ds().loadUpdate(ctx) });
  reg.registerFunction({ name: 'ds_load_unset', exec: (ctx) => ds().loadUnset(ctx) });
  reg.registerFunction({
    name: 'ds_reload',
    exec: () =>
      ds()
        .reload()
        .then(
          () => 1,
          (e: Error) => {
            svc.log.error(`ds_reload: ${e.message}`);
            return -1;
          },
        ),
  });
  reg.registerFunction({
    name: 'ds_dsg_fetch',
    exec: (ctx, g: number) => {
      const v = ds().ds.dsgFetch(g);
      ctx.set(DS_DSG, v);
      return v ? 1 : -1;
    },
  });
  reg.registerFunction({
    name: 'ds_dsg_fetch_uri',
    exec: (ctx, g: number, uri: string) => {
      const v = ds().ds.dsgFetch(g, uri);
      ctx.set(DS_DSG, v);
      return v ? 1 : -1;
    },
  });
  reg.registerFunction({
    name: 'ds_oc_set_attrs',
    exec: (_ctx, g: number, uri: string, rate: number, tval: number, seq: number) =>
      ds().ds.ocSetAttrs(g, uri, rate, tval, seq),
  });
  reg.registerPv({
    name: 'dsv',
    module: 'dispatcher',
    parse: (inner) => {
      const k = inner.trim();
      if (!['code', 'reason', 'flags', 'uri', 'setid', 'group'].includes(k)) throw new Error(`unknown $dsv key "${k}"`);
      return k;
    },
    get: (ctx, key: string) => dsvValue(ctx, key),
  });
  reg.registerPv({
    name: 'dsg',
    module: 'dispatcher',
    parse: (inner) => inner.trim(),
    get: (ctx, key: string) => {
      const v = ctx.get(DS_DSG);
      if (!v) return null;
      const x = (v as unknown as Record<string, number | string | null>)[key];
      return x === undefined ? null : x;
    },
  });
}
