/**
 * Runs the compiled cfg routes for the proxy core: request_route for each new request,
 * failure_route[NAME] when a transaction's branches all failed, onreply_route for
 * replies, and event_route[dispatcher:dst-up|dst-down] with a faked request whose R-URI
 * is the destination (as Kamailio does).
 */
import type { Script, RunResult } from '../script';
import type { RouteHooks, ProxyCore } from '../proxy/core';
import { RequestContext, RouteType } from '../proxy/context';
import { parseMessage } from '../sip/message';
import { DSD_BRANCH } from '../proxy/branch';
import type { Logger } from '../core/log';
import type { DsEvent } from '../modules/dispatcher/state';

function isPromise<T>(r: T | Promise<T>): r is Promise<T> {
  return typeof (r as Promise<T>)?.then === 'function';
}

export function scriptHooks(script: Script<RequestContext>, log: Logger): RouteHooks {
  const fail = (where: string) => (e: unknown) => log.error(`${where}: ${(e as Error)?.stack ?? e}`);
  return {
    request(ctx) {
      const r = script.runRequestRoute(ctx);
      if (isPromise(r)) return r.then(() => undefined, fail('request_route'));
      return undefined;
    },
    failure(name, ctx) {
      const r = script.runFailureRoute(name, ctx);
      if (isPromise(r)) return r.then(() => undefined, fail(`failure_route[${name}]`));
      return undefined;
    },
    onReply(name, ctx) {
      if (!script.hasOnReplyRoute(name)) return true;
      const r = script.runOnReplyRoute(name, ctx);
      if (isPromise(r)) { r.catch(fail(`onreply_route[${name}]`)); return true; }
      return (r as RunResult).action !== 'drop';
    },
  };
}

let eventSeq = 0;

/** Runs event_route[dispatcher:dst-up|dst-down] for one state transition. */
export function runDispatcherEvent(script: Script<RequestContext>, core: ProxyCore, log: Logger, ev: DsEvent): void {
  // Kamailio logs a destination going down as a warning; coming back is worth a notice.
  const fields = { event: ev.name, set: ev.setId, uri: ev.uri, code: ev.context.code };
  if (ev.name === 'dispatcher:dst-down') log.warn(`${ev.name}: set ${ev.setId} ${ev.uri} (code ${ev.context.code})`, fields);
  else log.notice(`${ev.name}: set ${ev.setId} ${ev.uri} (code ${ev.context.code})`, fields);
  if (!script.hasEventRoute(ev.name)) return;
  const local = core.transport.sockets[0];
  if (!local) return;
  const n = ++eventSeq;
  const raw = `OPTIONS ${ev.uri} SIP/2.0\r\nVia: SIP/2.0/UDP ${local.advHost}:${local.advPort};branch=${DSD_BRANCH}event${n}\r\n` +
    `From: <sip:dispatcher@localhost>;tag=ev${n}\r\nTo: <${ev.uri}>\r\nCall-ID: dsd-event-${n}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
  let ctx: RequestContext;
  try {
    ctx = new RequestContext(parseMessage(Buffer.from(raw, 'latin1')), { proto: local.proto, ip: local.ip, port: local.port, local });
  } catch (e) {
    log.error(`event_route[${ev.name}]: cannot build the faked request for ${ev.uri}: ${(e as Error).message}`);
    return;
  }
  ctx.routeType = RouteType.Event;
  ctx.mod.dsevent = { ev };
  try {
    const r = script.runEventRoute(ev.name, ctx);
    if (isPromise(r)) r.catch((e) => log.error(`event_route[${ev.name}]: ${(e as Error).message}`));
  } catch (e) {
    log.error(`event_route[${ev.name}]: ${(e as Error).message}`);
  }
}
