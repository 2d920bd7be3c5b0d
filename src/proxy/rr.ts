/**
 * Loose routing of in-dialog requests (RFC 3261 §16.4, Kamailio's rr `loose_route`):
 * Route entries naming us are removed (both of a double Record-Route, `r2=on`); the
 * next Route entry, if any, becomes the destination URI ($du), otherwise the request
 * goes to its R-URI.
 */
import { parseNameAddr, splitList } from '../sip/nameaddr';
import { parseUri, uriParam, SipUri } from '../sip/uri';
import type { RequestContext } from './context';
import type { HeaderField } from '../sip/message';

interface RouteEntry { h: HeaderField; start: number; end: number; uri: string }

function routeEntries(ctx: RequestContext): RouteEntry[] {
  const msg = ctx.msg;
  const out: RouteEntry[] = [];
  for (const h of msg.headers) {
    if (h.name !== 'route') continue;
    for (const [a, b] of splitList(msg.head, h.valueStart, h.valueEnd)) {
      if (a === b) continue;
      const na = parseNameAddr(msg.head.slice(a, b));
      if (na) out.push({ h, start: a, end: b, uri: na.uri });
    }
  }
  return out;
}

/** Removes one Route entry: the whole line when it is the line's only value. */
function removeEntry(ctx: RequestContext, e: RouteEntry, all: RouteEntry[]): void {
  const siblings = all.filter((x) => x.h === e.h);
  const head = ctx.msg.head;
  if (siblings.length === 1) { ctx.edits.remove(e.h.lineStart, e.h.lineEnd); return; }
  const idx = siblings.indexOf(e);
  if (idx < siblings.length - 1) ctx.edits.remove(e.start, siblings[idx + 1].start);
  else {
    let s = e.start;
    while (s > e.h.valueStart && head.charCodeAt(s - 1) !== 44) s--;
    ctx.edits.remove(s - 1, e.end);
  }
}

/** Returns 1 when Route headers were processed, -1 when there are none (as Kamailio). */
export function looseRoute(ctx: RequestContext, isMyself: (u: SipUri) => boolean): number {
  const entries = routeEntries(ctx);
  if (entries.length === 0) return -1;
  let i = 0;
  const first = parseUri(entries[0].uri);
  if (first && isMyself(first)) {
    removeEntry(ctx, entries[0], entries);
    i = 1;
    if (uriParam(first, 'r2') !== null && entries.length > 1) {
      const second = parseUri(entries[1].uri);
      if (second && isMyself(second)) { removeEntry(ctx, entries[1], entries); i = 2; }
    }
  }
  if (i < entries.length) {
    const next = parseUri(entries[i].uri);
    if (next && uriParam(next, 'lr') === null) {
      // strict router next: it gets the R-URI slot, the R-URI goes last (RFC 3261 §16.12)
      ctx.du = null;
      ctx.ruri = entries[i].uri;
      return 1;
    }
    ctx.du = entries[i].uri;
  }
  return 1;
}
