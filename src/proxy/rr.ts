/**
 * Loose routing of in-dialog requests (RFC 3261 §16.4, Kamailio's rr `loose_route`):
 * Route entries naming us are removed (both of a double Record-Route, `r2=on`); the
 * next Route entry, if any, becomes the destination URI ($du), otherwise the request
 * goes to its R-URI.
 */
import { parseNameAddr, splitList } from '../sip/nameaddr';
import { parseUri, uriParam, SipUri } from '../sip/uri';
import { readFlowToken } from './flow-token';
import type { RequestContext } from './context';
import type { HeaderField } from '../sip/headers';

interface RouteEntry {
  h: HeaderField;
  start: number;
  end: number;
  uri: string;
}

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
  if (siblings.length === 1) {
    ctx.edits.remove(e.h.lineStart, e.h.lineEnd);
    return;
  }
  const next = siblings[siblings.indexOf(e) + 1];
  if (next) ctx.edits.remove(e.start, next.start);
  else {
    let s = e.start;
    while (s > e.h.valueStart && head.charCodeAt(s - 1) !== 44) s--;
    ctx.edits.remove(s - 1, e.end);
  }
}

/**
 * Both entries of a double Record-Route written on one Route line: the whole line when
 * they are all it holds, else the two and the comma after them (one edit, not two that
 * overlap).
 */
function removePair(ctx: RequestContext, a: RouteEntry, b: RouteEntry, all: RouteEntry[]): void {
  const siblings = all.filter((x) => x.h === a.h);
  if (siblings.length === 2) {
    ctx.edits.remove(a.h.lineStart, a.h.lineEnd);
    return;
  }
  const after = siblings[siblings.indexOf(b) + 1];
  if (siblings[0] === a && after) ctx.edits.remove(a.start, after.start);
  else {
    removeEntry(ctx, a, all);
    removeEntry(
      ctx,
      b,
      all.filter((x) => x !== a),
    );
  }
}

/** Returns 1 when Route headers were processed, -1 when there are none (as Kamailio). */
export function looseRoute(ctx: RequestContext, isMyself: (u: SipUri) => boolean): number {
  const entries = routeEntries(ctx);
  const [e0, e1] = entries;
  if (e0 === undefined) return -1;
  let i = 0;
  let flow: ReturnType<typeof readFlowToken> = null;
  const first = parseUri(e0.uri);
  if (first && isMyself(first)) {
    flow = readFlowToken(first.user);
    i = 1;
    const second = uriParam(first, 'r2') !== null && e1 !== undefined ? parseUri(e1.uri) : null;
    if (e1 !== undefined && second && isMyself(second)) {
      flow ??= readFlowToken(second.user);
      i = 2;
      if (e0.h === e1.h) removePair(ctx, e0, e1, entries);
      else for (const e of [e0, e1]) removeEntry(ctx, e, entries);
    } else removeEntry(ctx, e0, entries);
  }
  // our last Route named a WebSocket flow and the request did not come from it: the
  // browser is the next hop, over its connection (RFC 5626 §5.3)
  if (flow && i === entries.length && !(ctx.src.ip === flow.ip && ctx.src.port === flow.port)) {
    ctx.du = `sip:${flow.ip.includes(':') ? `[${flow.ip}]` : flow.ip}:${flow.port};transport=${flow.proto}`;
    return 1;
  }
  const nextEntry = entries[i];
  if (nextEntry !== undefined) {
    const next = parseUri(nextEntry.uri);
    if (next && uriParam(next, 'lr') === null) {
      // strict router next: it gets the R-URI slot, the R-URI goes last (RFC 3261 §16.12)
      ctx.du = null;
      ctx.ruri = nextEntry.uri;
      return 1;
    }
    ctx.du = nextEntry.uri;
  }
  return 1;
}
