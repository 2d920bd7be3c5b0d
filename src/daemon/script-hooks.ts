/**
 * Runs the compiled cfg routes for the proxy core: request_route for each new request,
 * branch_route[NAME] for each branch (t_on_branch), failure_route[NAME] when a
 * transaction's branches all failed, onreply_route[NAME] for the replies of a transaction
 * (t_on_reply), the core reply_route / onreply_route for every reply received, and event_route[dispatcher:dst-up|dst-down] with a faked request whose R-URI
 * is the destination (as Kamailio does).
 */
import type { Script, RunResult } from '../script';
import type { RouteHooks, ProxyCore } from '../proxy/core';
import { RequestContext, RouteType } from '../proxy/context';
import { parseMessage } from '../sip/message';
import { DSD_BRANCH } from '../proxy/branch';
import { buildLocalRequest } from '../transaction/local-request';
import type { Logger } from '../core/log';
import type { DsEvent } from '../modules/dispatcher/state';
import { DS_EVENT } from '../modules/dispatcher/request-state';

function isPromise<T>(r: T | Promise<T>): r is Promise<T> {
  return typeof (r as Promise<T>)?.then === 'function';
}

/**
 * What a caller watching the routes learns (the warm-up, warmup.ts): how many route runs
 * are still going (an async function in the script), and each new request's context.
 */
export interface RouteWatch {
  pending: number;
  request(ctx: RequestContext): void;
}

/**
 * The hooks. `watch` is told here rather than by wrapping these functions in an object of
 * its own: the warm-up's core must call the same functions, on hooks of the same shape, as
 * the real core, or V8 throws the warm-up's code for the receive path away at the first
 * real message ("wrong map"; bench/PROFILE.md, session 16).
 */
export function scriptHooks(script: Script<RequestContext>, log: Logger, watch: RouteWatch | null = null): RouteHooks {
  const fail = (where: string) => (e: unknown) => log.error(`${where}: ${(e as Error)?.stack ?? e}`);
  const track = <T>(p: Promise<T>): Promise<T> => {
    if (watch === null) return p;
    watch.pending++;
    return p.finally(() => {
      watch.pending--;
    });
  };
  return {
    request(ctx) {
      if (watch !== null) watch.request(ctx);
      const r = script.runRequestRoute(ctx);
      if (isPromise(r)) return track(r.then(() => undefined, fail('request_route')));
      return undefined;
    },
    failure(name, ctx) {
      const r = script.runFailureRoute(name, ctx);
      if (isPromise(r)) return track(r.then(() => undefined, fail(`failure_route[${name}]`)));
      return undefined;
    },
    onReply(name, ctx) {
      if (!script.hasOnReplyRoute(name)) return true;
      const r = script.runOnReplyRoute(name, ctx);
      if (isPromise(r)) {
        r.catch(fail(`onreply_route[${name}]`));
        return true;
      }
      return (r as RunResult).action !== 'drop';
    },
    branch(name, ctx) {
      const r = script.runBranchRoute(name, ctx);
      if (isPromise(r))
        return track(
          r.then(
            (x) => x.action !== 'drop',
            (e) => {
              fail(`branch_route[${name}]`)(e);
              return true;
            },
          ),
        );
      return r.action !== 'drop';
    },
    ...(script.hasOnReplyRoute(null)
      ? {
          coreReply(reply, src) {
            // the reply is the message the route works on ($rs, $hdr, …), as in Kamailio
            const ctx = new RequestContext(reply, src);
            ctx.routeType = RouteType.CORE_ONREPLY;
            ctx.reply = reply;
            ctx.replyCode = reply.status;
            const r = script.runOnReplyRoute(null, ctx);
            if (isPromise(r)) {
              r.catch(fail('reply_route'));
              return true;
            }
            return r.action !== 'drop';
          },
        }
      : {}),
  };
}

let eventSeq = 0;

/** Runs event_route[dispatcher:dst-up|dst-down] for one state transition. */
export function runDispatcherEvent(script: Script<RequestContext>, core: ProxyCore, log: Logger, ev: DsEvent): void {
  // Kamailio logs a destination going down as a warning; coming back is worth a notice.
  const fields = { event: ev.name, set: ev.setId, uri: ev.uri, code: ev.context.code };
  if (ev.name === 'dispatcher:dst-down')
    log.warn(`${ev.name}: set ${ev.setId} ${ev.uri} (code ${ev.context.code})`, fields);
  else log.notice(`${ev.name}: set ${ev.setId} ${ev.uri} (code ${ev.context.code})`, fields);
  if (!script.hasEventRoute(ev.name)) return;
  const local = core.transport.sockets[0];
  if (!local) return;
  const n = ++eventSeq;
  const raw = buildLocalRequest(
    {
      method: 'OPTIONS',
      ruri: ev.uri,
      to: ev.uri,
      from: 'sip:dispatcher@localhost',
      fromTag: `ev${n}`,
      callId: `dsd-event-${n}`,
      cseq: 1,
      maxForwards: null,
    },
    local,
    `${DSD_BRANCH}event${n}`,
  );
  let ctx: RequestContext;
  try {
    ctx = new RequestContext(parseMessage(raw), { proto: local.proto, ip: local.ip, port: local.port, local });
  } catch (e) {
    log.error(`event_route[${ev.name}]: cannot build the faked request for ${ev.uri}: ${(e as Error).message}`);
    return;
  }
  ctx.routeType = RouteType.EVENT;
  ctx.set(DS_EVENT, { ev });
  try {
    const r = script.runEventRoute(ev.name, ctx);
    if (isPromise(r)) r.catch((e) => log.error(`event_route[${ev.name}]: ${(e as Error).message}`));
  } catch (e) {
    log.error(`event_route[${ev.name}]: ${(e as Error).message}`);
  }
}
