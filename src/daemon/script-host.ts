/** The cfg engine's view of dsd: flags, per-request store, logging, `myself`. */
import type { ScriptHost, MyselfOperand } from '../script';
import type { RequestContext } from '../proxy/context';
import type { Services } from '../modules/services';
import { storeOf } from '../modules/script-store';
import { parseUri } from '../sip/uri';

export function createScriptHost(svc: Services, getDebug: () => number): ScriptHost<RequestContext> {
  return {
    getFlags: (ctx) => ctx.flags,
    setFlags: (ctx, f) => {
      ctx.flags = f;
    },
    store: (ctx) => storeOf(ctx),
    isLogEnabled: (level) => level <= getDebug(),
    log: (level, message, _ctx, facility) => {
      void facility;
      const m = message.endsWith('\n') ? message.slice(0, -1) : message;
      if (level <= -1) svc.log.error(m);
      else if (level === 0) svc.log.warn(m);
      else if (level === 1) svc.log.notice(m);
      else if (level === 2) svc.log.info(m);
      else svc.log.debug(m);
    },
    isMyself: (ctx, operand: MyselfOperand) => {
      const core = svc.core;
      if (!core) return false;
      const uriMyself = (text: string | null | undefined): boolean => {
        const u = text ? parseUri(text) : null;
        return u !== null && core.isMyselfUri(u);
      };
      switch (operand) {
        case 'uri':
          return uriMyself(ctx.ruri);
        case 'from_uri':
          return uriMyself(ctx.msg.from?.uri);
        case 'to_uri':
          return uriMyself(ctx.msg.to?.uri);
        case 'src_ip':
          return core.transport.sockets.some((s) => s.ip === ctx.src.ip);
        default:
          return true; // dst_ip / snd_ip / to_ip: we received or send it on our socket
      }
    },
  };
}
