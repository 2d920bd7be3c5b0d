/**
 * event_route[xhttp:request] for an HTTP request that arrived on a TCP/TLS listen
 * socket: the route sees it as Kamailio's xhttp shows it — $rm the HTTP method, $hu the
 * URL, $hdr(...) the HTTP headers, $si/$sp the client — and answers with xhttp_reply()
 * or, for a WebSocket upgrade, ws_handle_handshake().
 */
import { parseMessage } from '../../sip/message';
import { RequestContext, RouteType } from '../../proxy/context';
import { declareRequestState } from '../../proxy/request-state';
import type { HttpRequest } from '../../transport/http';
import type { Script } from '../../script';
import type { Logger } from '../../core/log';

const XHTTP_EVENT = 'xhttp:request';

const HTTP = declareRequestState<HttpRequest>('xhttp.request');

/** The HTTP request of an xhttp event route (null outside one). */
export function httpOf(ctx: RequestContext): HttpRequest | null {
  return ctx.get(HTTP) ?? null;
}

/** The HTTP request as a SIP-shaped message, so header, body and PV access work unchanged. */
function asMessage(r: HttpRequest): RequestContext['msg'] {
  // as Kamailio's xhttp: a Via of the client (Kamailio even leaks it into replies as
  // "Sia:"; dsd does not), and the identifiers a SIP parser insists on
  let s =
    `${r.method} sip:xhttp@${r.local.advHost} SIP/2.0\r\n` +
    `Via: SIP/2.0/${r.secure ? 'TLS' : 'TCP'} ${r.ip.includes(':') ? `[${r.ip}]` : r.ip}:${r.port};branch=z9hG4bKxhttp\r\n` +
    `From: <sip:xhttp@localhost>;tag=xhttp\r\nTo: <sip:xhttp@localhost>\r\nCall-ID: xhttp-${r.port}\r\nCSeq: 1 ${r.method}\r\n`;
  const raw = r.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (/^(via|from|to|call-id|cseq|[vftil])$/i.test(raw[i]!)) continue;
    s += `${raw[i]}: ${raw[i + 1]!.replace(/[\r\n]/g, ' ')}\r\n`;
  }
  // the request's own Content-Length (if any) is kept: it matches the body read ($cl, $rb)
  return parseMessage(Buffer.concat([Buffer.from(`${s}\r\n`, 'latin1'), r.body]), { datagram: true });
}

/**
 * Runs event_route[xhttp:request] for one request. Returns a promise while the route
 * is still running (asynchronous functions), so the next request on the connection waits.
 */
export function runXhttpRequest(script: Script<RequestContext>, log: Logger, r: HttpRequest): void | Promise<unknown> {
  if (!script.hasEventRoute(XHTTP_EVENT)) return;
  let ctx: RequestContext;
  try {
    ctx = new RequestContext(asMessage(r), { proto: r.secure ? 'tls' : 'tcp', ip: r.ip, port: r.port, local: r.local });
  } catch (e) {
    log.warn(`xhttp: unreadable request from ${r.ip}:${r.port}: ${(e as Error).message}`);
    return;
  }
  ctx.routeType = RouteType.EVENT;
  ctx.set(HTTP, r);
  const res = script.runEventRoute(XHTTP_EVENT, ctx);
  if (res && typeof (res as Promise<unknown>).then === 'function') {
    return (res as Promise<unknown>).catch((e) => {
      log.error(`event_route[xhttp:request]: ${(e as Error).message}`);
    });
  }
}
