/**
 * The message pseudo-variables (Kamailio's pv module): $ru and its parts, $du, From/To,
 * Call-ID, CSeq, method, reply status, source/destination addresses, $hdr(name). In
 * onreply_route the header variables read the reply.
 */
import type { Reg, Services } from '../services';
import { coreOf } from '../services';
import type { RequestContext } from '../../proxy/context';
import { RouteType } from '../../proxy/context';
import type { SipMessage } from '../../sip/message';
import { parseUri, SipUri } from '../../sip/uri';
import { canonicalName } from '../../sip/headers';
import { setXtoAttr, XtoPart } from './from-to';

type V = string | number | null;

function msgOf(ctx: RequestContext): SipMessage {
  return (ctx.routeType & RouteType.ONREPLY) !== 0 && ctx.reply ? ctx.reply : ctx.msg;
}

function rebuild(u: SipUri, parts: { user?: string | null; host?: string; port?: string | null }): string {
  const user = parts.user !== undefined ? parts.user : u.user;
  const host = parts.host ?? u.host;
  const port = parts.port !== undefined ? parts.port : u.port === null ? null : String(u.port);
  const userinfo = user ? `${user}${u.password !== null ? `:${u.password}` : ''}@` : '';
  return `${u.scheme}:${userinfo}${host}${port ? `:${port}` : ''}${u.params ? `;${u.params}` : ''}${u.headers !== null ? `?${u.headers}` : ''}`;
}

function uriPart(uri: string | null | undefined, part: 'user' | 'host' | 'port'): V {
  if (!uri) return null;
  const u = parseUri(uri);
  if (!u) return null;
  if (part === 'user') return u.user === '' ? null : u.user;
  if (part === 'host') return u.host;
  return u.port ?? (u.scheme === 'sips' ? 5061 : 5060);
}

function str(v: V): string | null {
  return v === null ? null : String(v);
}

export function registerPvs(reg: Reg, svc: Services): void {
  const ro = (name: string, get: (ctx: RequestContext) => V): void => {
    reg.registerPv({ name, module: 'pv', get: (ctx) => get(ctx) });
  };
  const setRuri = (ctx: RequestContext, f: (u: SipUri) => string): void => {
    const u = parseUri(ctx.ruri);
    if (u) ctx.ruri = f(u);
  };
  reg.registerPv({
    name: 'ru',
    module: 'pv',
    get: (ctx) => ctx.ruri,
    set: (ctx, _p, v) => {
      if (v !== null) ctx.ruri = String(v);
    },
  });
  reg.registerPv({
    name: 'rU',
    module: 'pv',
    get: (ctx) => uriPart(ctx.ruri, 'user'),
    set: (ctx, _p, v) => setRuri(ctx, (u) => rebuild(u, { user: str(v) })),
  });
  reg.registerPv({
    name: 'rd',
    module: 'pv',
    get: (ctx) => uriPart(ctx.ruri, 'host'),
    set: (ctx, _p, v) => {
      if (v !== null) setRuri(ctx, (u) => rebuild(u, { host: String(v) }));
    },
  });
  reg.registerPv({
    name: 'rp',
    module: 'pv',
    get: (ctx) => uriPart(ctx.ruri, 'port'),
    set: (ctx, _p, v) => setRuri(ctx, (u) => rebuild(u, { port: str(v) })),
  });
  reg.registerPv({
    name: 'du',
    module: 'pv',
    get: (ctx) => ctx.du,
    set: (ctx, _p, v) => {
      ctx.du = v === null || v === '' ? null : String(v);
    },
  });
  ro('ou', (ctx) => ctx.msg.ruri);
  ro('oU', (ctx) => uriPart(ctx.msg.ruri, 'user'));
  // writable as in Kamailio: a lump on the request; reading goes on seeing the message as received
  const xto = (name: string, which: 'from' | 'to', part: XtoPart, get: (ctx: RequestContext) => V): void => {
    reg.registerPv({
      name,
      module: 'pv',
      get: (ctx) => get(ctx),
      set: (ctx, _p, v) => {
        if ((ctx.routeType & RouteType.ONREPLY) !== 0) return;
        if (!setXtoAttr(ctx, which, part, v))
          svc.log.error(
            `cannot set $${name}: ${v === null || typeof v === 'string' ? `no parsable ${which === 'from' ? 'From' : 'To'} header` : 'not a string'}`,
          );
      },
    });
  };
  xto('fu', 'from', 'uri', (ctx) => msgOf(ctx).from?.uri ?? null);
  xto('fU', 'from', 'user', (ctx) => uriPart(msgOf(ctx).from?.uri, 'user'));
  xto('fd', 'from', 'host', (ctx) => uriPart(msgOf(ctx).from?.uri, 'host'));
  xto('fn', 'from', 'display', (ctx) => msgOf(ctx).from?.display || null);
  ro('ft', (ctx) => msgOf(ctx).from?.tag ?? null);
  xto('tu', 'to', 'uri', (ctx) => msgOf(ctx).to?.uri ?? null);
  xto('tU', 'to', 'user', (ctx) => uriPart(msgOf(ctx).to?.uri, 'user'));
  xto('td', 'to', 'host', (ctx) => uriPart(msgOf(ctx).to?.uri, 'host'));
  xto('tn', 'to', 'display', (ctx) => msgOf(ctx).to?.display || null);
  ro('tt', (ctx) => msgOf(ctx).to?.tag ?? null);
  ro('ci', (ctx) => msgOf(ctx).get('call-id'));
  ro('cs', (ctx) => msgOf(ctx).cseq?.seq ?? null);
  ro('rm', (ctx) => (ctx.msg.isRequest ? ctx.msg.method : (msgOf(ctx).cseq?.method ?? null)));
  ro('rs', (ctx) => (ctx.reply ? ctx.reply.status : null));
  ro('rr', (ctx) => (ctx.reply ? ctx.reply.reason : null));
  ro('rv', () => 'SIP/2.0');
  ro('si', (ctx) => ctx.src.ip);
  ro('sp', (ctx) => ctx.src.port);
  ro('Ri', (ctx) => ctx.src.local.ip);
  ro('Rp', (ctx) => ctx.src.local.port);
  ro('proto', (ctx) => ctx.src.proto);
  ro('pr', (ctx) => ctx.src.proto);
  ro('af', (ctx) => (ctx.src.local.family === 6 ? 'INET6' : 'INET'));
  ro('ml', (ctx) => msgOf(ctx).wire.length);
  ro('mb', (ctx) => msgOf(ctx).wire.toString('latin1'));
  ro('rb', (ctx) => msgOf(ctx).body.toString('latin1'));
  ro('ua', (ctx) => msgOf(ctx).get('user-agent'));
  // as Kamailio: the Content-Length header's number, <null> without one (a UDP request, an HTTP GET)
  ro('cl', (ctx) => {
    const v = msgOf(ctx).get('content-length');
    return v === null ? null : Number.parseInt(v.trim(), 10) || 0;
  });
  ro('ct', (ctx) => msgOf(ctx).get('contact'));
  ro('mf', (ctx) => ctx.flags);
  reg.registerPv({
    name: 'hdr',
    module: 'pv',
    parse: (inner) => canonicalName(inner.trim()),
    get: (ctx, name: string) => msgOf(ctx).get(name),
  });
  reg.registerPv({
    name: 'hdrc',
    module: 'pv',
    parse: (inner) => canonicalName(inner.trim()),
    get: (ctx, name: string) => msgOf(ctx).count(name),
  });
  // $fs: the forced send socket, "proto:ip:port" as Kamailio writes it
  reg.registerPv({
    name: 'fs',
    module: 'pv',
    get: (ctx) => ctx.forceSocket?.text ?? null,
    set: (ctx, _p, v) => {
      if (v === null) {
        ctx.forceSocket = null;
        return;
      }
      const text = String(v).toLowerCase();
      ctx.forceSocket = coreOf(svc).transport.sockets.find((s) => s.text === text) ?? ctx.forceSocket;
    },
  });
}
