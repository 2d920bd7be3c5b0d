/**
 * Builds what the proxy sends (RFC 3261 §16.6): a branch request is the received
 * request with the script's lumps, our Via on top, received/rport on the previous top
 * Via, the new R-URI and Record-Route. Replies going upstream lose our Via and nothing
 * else. (Hop-by-hop ACK and CANCEL are the transaction layer's: transaction/local-request.ts.)
 */
import type { SipMessage } from '../sip/message';
import { applyEdits, Edit, EditList } from '../sip/editor';
import { natEdits } from '../sip/reply';
import type { LocalSocket } from '../transport/types';
import { flowToken } from './flow-token';
import { viaLine } from '../transaction/local-request';
import type { RequestContext } from './context';

/** rr's modparams that shape the Record-Route URI. */
export interface RrOptions {
  /** enable_full_lr: `;lr=on` instead of `;lr` (for old stacks that need a value). */
  fullLr: boolean;
  /** append_fromtag: `;ftag=<From tag>` (Kamailio's default). */
  fromTag: boolean;
}

export const RR_DEFAULTS: RrOptions = { fullLr: false, fromTag: true };

/** Record-Route URI for one of our sockets. */
function rrUri(
  s: LocalSocket,
  r2: boolean,
  o: RrOptions = RR_DEFAULTS,
  ftag: string | null = null,
  user: string | null = null,
): string {
  const t = s.proto === 'udp' ? '' : `;transport=${s.proto}`;
  const tag = o.fromTag && ftag ? `;ftag=${ftag}` : '';
  return `<sip:${user ? `${user}@` : ''}${s.advHost}:${s.advPort}${t}${r2 ? ';r2=on' : ''}${o.fullLr ? ';lr=on' : ';lr'}${tag}>`;
}

/**
 * Record-Route lines: one when the request leaves by the socket it came in on, two
 * (`r2=on`, outbound first) when it changes socket (Kamailio's enable_double_rr).
 */
function recordRouteLines(
  inSock: LocalSocket,
  outSock: LocalSocket,
  eol: string,
  o: RrOptions = RR_DEFAULTS,
  ftag: string | null = null,
  inFlow: string | null = null,
): string {
  if (inSock.id === outSock.id) return `Record-Route: ${rrUri(inSock, false, o, ftag, inFlow)}${eol}`;
  return `Record-Route: ${rrUri(outSock, true, o, ftag)}${eol}Record-Route: ${rrUri(inSock, true, o, ftag, inFlow)}${eol}`;
}

export function buildBranchRequest(
  ctx: RequestContext,
  ruri: string,
  out: LocalSocket,
  branch: string,
  rr: RrOptions = RR_DEFAULTS,
  edits: EditList = ctx.edits,
): Buffer {
  const msg = ctx.msg;
  const eol = msg.eol;
  const extra: Edit[] = [];
  if (ruri !== msg.ruri) extra.push({ start: msg.ruriStart, end: msg.ruriEnd, text: ruri });
  if (ctx.recordRoute && msg.method !== 'ACK' && msg.method !== 'CANCEL') {
    // a WebSocket arrives on a TCP/TLS listen socket: its Record-Route says transport=ws/wss
    const src = ctx.src;
    const inSock =
      src.proto === src.local.proto ? src.local : { ...src.local, proto: src.proto, id: -1 - src.local.id };
    // and names the browser's connection (a flow token), for requests coming back to it
    const flow = src.proto === 'ws' || src.proto === 'wss' ? flowToken(src.proto, src.ip, src.port) : null;
    extra.push({
      start: msg.startLineEnd,
      end: msg.startLineEnd,
      text: recordRouteLines(inSock, out, eol, rr, msg.from?.tag ?? null, flow),
    });
  }
  const firstVia = msg.first('via');
  const at = firstVia ? firstVia.lineStart : msg.startLineEnd;
  extra.push({ start: at, end: at, text: viaLine(out, branch, eol) });
  const top = msg.topVia;
  if (top) for (const e of natEdits(top, ctx.src.ip, ctx.src.port)) extra.push(e);
  if (!msg.first('content-length')) {
    extra.push({
      start: msg.headersEnd,
      end: msg.headersEnd,
      text: `Content-Length: ${msg.bodyEnd - msg.bodyStart}${eol}`,
    });
  }
  return applyEdits(msg, edits, extra);
}

/** A reply going upstream: our (top) Via removed, everything else byte for byte. */
export function stripTopVia(reply: SipMessage): Buffer {
  const top = reply.topVia;
  if (!top) return reply.wire;
  if (top.alone) return applyEdits(reply, [{ start: top.header.lineStart, end: top.header.lineEnd, text: '' }]);
  // first value of a comma list: remove it and the comma/white space after it
  let e = top.end;
  const head = reply.head;
  while (e < top.header.valueEnd && head.charCodeAt(e) !== 44) e++;
  e++;
  while (
    e < top.header.valueEnd &&
    (head.charCodeAt(e) === 32 || head.charCodeAt(e) === 9 || head.charCodeAt(e) === 13 || head.charCodeAt(e) === 10)
  )
    e++;
  return applyEdits(reply, [{ start: top.start, end: e, text: '' }]);
}
