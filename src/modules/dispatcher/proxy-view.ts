/**
 * Bridges the proxy's request context to the engine's views: the request fields the
 * hash algorithms read, and where the `_dsdst_` / `_dsctx_` records live for a request
 * (they travel with the transaction into failure_route).
 */
import type { RequestContext } from '../../proxy/context';
import type { DsRequestView, DsSource } from './request';
import type { DstRecord } from './xavp-records';
import { PROTO_TCP, PROTO_UDP } from './model';
import { XavpRecord } from '../../script';
import { storeOf } from '../script-store';
import type { DsSocketRef } from './model';

const AUTH_USER = /(?:^|[\s,])username\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/i;

/** The digest username's user part: Proxy-Authorization first, then Authorization. */
function authUsername(ctx: RequestContext): string | null {
  for (const name of ['proxy-authorization', 'authorization']) {
    for (const h of ctx.msg.all(name)) {
      const v = ctx.msg.value(h);
      if (!/^digest\s/i.test(v)) continue;
      const m = AUTH_USER.exec(v.slice(6));
      if (!m) continue;
      const u = (m[1] ?? m[2] ?? '').trim();
      const at = u.indexOf('@');
      return at >= 0 ? u.slice(0, at) : u;
    }
  }
  return null;
}

/**
 * The request as the algorithms read it. A class, not an object literal: a literal with a
 * getter is built slowly on every call (its accessor is made per object); here the lazy
 * fields are prototype getters, and a field the chosen algorithm never reads is never parsed.
 */
class ContextRequestView implements DsRequestView {
  constructor(
    private readonly ctx: RequestContext,
    readonly hashPvarValue: string | null,
  ) {}

  get callId(): string | null {
    const msg = this.ctx.msg;
    return msg.first('call-id') === undefined ? null : msg.callId;
  }

  get method(): string {
    return this.ctx.msg.method;
  }

  get fromUri(): string | null {
    return this.ctx.msg.from?.uri ?? null;
  }

  get toUri(): string | null {
    return this.ctx.msg.to?.uri ?? null;
  }

  get ruri(): string {
    return this.ctx.ruri;
  }

  get authUsername(): string | null {
    return authUsername(this.ctx);
  }

  get duIsSet(): boolean {
    return this.ctx.du !== null;
  }
}

export function requestView(ctx: RequestContext, hashPvarValue: string | null = null): DsRequestView {
  return new ContextRequestView(ctx, hashPvarValue);
}

export function sourceView(ctx: RequestContext): DsSource {
  return {
    ip: ctx.src.ip,
    port: ctx.src.port,
    proto: ctx.src.proto === 'tcp' ? PROTO_TCP : PROTO_UDP,
    socket: ctx.src.local,
  };
}

/**
 * The send socket of a record, which the script cannot see nor write (Kamailio keeps it
 * as a pointer field of the xavp): held beside the xavp record it belongs to.
 */
const SOCKETS = new WeakMap<XavpRecord, DsSocketRef>();

/**
 * The request's `_dsdst_` records (newest first), read from the script's xavp store:
 * the xavp is the one store, so `$xavp(_dsdst_=>uri) = …` or xavp_rm() in the script is
 * what ds_next_dst() and ds_mark_dst() see, as in Kamailio.
 */
export function dstRecords(ctx: RequestContext, xavpName: string): DstRecord[] {
  if (xavpName === '') return [];
  const out: DstRecord[] = [];
  for (const item of storeOf(ctx).xavps.list(xavpName)) {
    if (!(item instanceof XavpRecord)) continue;
    const uri = item.get('uri');
    if (uri === null) continue;
    const r: { -readonly [K in keyof DstRecord]: DstRecord[K] } = {
      uri: String(uri),
      grp: Number(item.get('grp') ?? 0),
    };
    const attrs = item.get('attrs');
    if (attrs !== null) r.attrs = String(attrs);
    const sock = SOCKETS.get(item);
    if (sock !== undefined) r.sock = sock;
    const socket = item.get('socket');
    if (socket !== null) r.socket = String(socket);
    const sockname = item.get('sockname');
    if (sockname !== null) r.sockname = String(sockname);
    const dstid = item.get('dstid');
    if (dstid !== null) r.dstid = String(dstid);
    out.push(r);
  }
  return out;
}

/** Replaces the `_dsdst_` xavp with `records` (fields in ds_add_xavp_record's order). */
export function setDstRecords(ctx: RequestContext, xavpName: string, records: readonly DstRecord[]): void {
  if (xavpName === '') return;
  const xavps = storeOf(ctx).xavps;
  xavps.removeAll(xavpName);
  for (const r of records) {
    const rec = new XavpRecord();
    rec.add('uri', r.uri);
    rec.add('grp', r.grp);
    if (r.attrs !== undefined) rec.add('attrs', r.attrs);
    if (r.socket !== undefined) rec.add('socket', r.socket);
    if (r.sockname !== undefined) rec.add('sockname', r.sockname);
    if (r.dstid !== undefined) rec.add('dstid', r.dstid);
    if (r.sock !== undefined) SOCKETS.set(rec, r.sock);
    xavps.append(xavpName, rec);
  }
}

/** Adds a `_dsctx_=>cnt` record in front (newest first). */
export function pushCtxCount(ctx: RequestContext, xavpName: string, cnt: number): void {
  if (xavpName === '') return;
  storeOf(ctx).xavps.push(xavpName, new XavpRecord({ cnt }));
}
