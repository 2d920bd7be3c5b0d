/**
 * Bridges the proxy's request context to the engine's views: the request fields the
 * hash algorithms read, and where the `_dsdst_` / `_dsctx_` records live for a request
 * (they travel with the transaction into failure_route).
 */
import type { RequestContext } from '../../proxy/context';
import type { DsRequestView, DsSource } from './request';
import type { DstRecord } from './xavp-records';
import { PROTO_TCP, PROTO_UDP } from './model';
import { DS_CTX, DS_DST } from './request-state';

const AUTH_USER = /(?:^|[\s,])username\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/i;

/** The digest username's user part: Proxy-Authorization first, then Authorization. */
export function authUsername(ctx: RequestContext): string | null {
  for (const name of ['proxy-authorization', 'authorization']) {
    for (const h of ctx.msg.all(name)) {
      const v = ctx.msg.value(h);
      if (!/^digest\s/i.test(v)) continue;
      const m = AUTH_USER.exec(v.slice(6));
      if (!m) continue;
      const u = (m[1] ?? m[2]).trim();
      const at = u.indexOf('@');
      return at >= 0 ? u.slice(0, at) : u;
    }
  }
  return null;
}

export function requestView(ctx: RequestContext, hashPvarValue: string | null = null): DsRequestView {
  const msg = ctx.msg;
  return {
    callId: msg.get('call-id'),
    method: msg.method,
    fromUri: msg.from?.uri ?? null,
    toUri: msg.to?.uri ?? null,
    ruri: ctx.ruri,
    get authUsername() { return authUsername(ctx); },
    hashPvarValue,
    duIsSet: ctx.du !== null,
  };
}

export function sourceView(ctx: RequestContext): DsSource {
  return {
    ip: ctx.src.ip,
    port: ctx.src.port,
    proto: ctx.src.proto === 'tcp' ? PROTO_TCP : PROTO_UDP,
    socket: ctx.src.local,
  };
}

/** The request's `_dsdst_` records (newest first), as the xavp list holds them. */
export function dstRecords(ctx: RequestContext): DstRecord[] {
  return ctx.get(DS_DST) ?? [];
}

export function setDstRecords(ctx: RequestContext, records: DstRecord[]): void {
  ctx.set(DS_DST, records);
}

/** `_dsctx_=>cnt` values, newest first. */
export function ctxCounts(ctx: RequestContext): number[] {
  let c = ctx.get(DS_CTX);
  if (!c) { c = []; ctx.set(DS_CTX, c); }
  return c;
}
