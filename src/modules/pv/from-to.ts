/**
 * Assignments to From/To attributes ($fu $fU $fd $fn, $tu $tU $td $tn) as pv's
 * pv_set_xto_attr does them: a lump on the header as received, so the forwarded request
 * carries the new value while the variables go on reading the message as it came in.
 * Kamailio's rules: the URI and the domain cannot be deleted ($null is ignored); $null
 * deletes the user (with its '@') or the display name (with the space after it); a new
 * user where there was none is inserted with an '@' before the host, a new display name
 * with a space before the URI; only strings are assigned.
 */
import type { RequestContext } from '../../proxy/context';
import type { SipMessage } from '../../sip/message';

export type XtoPart = 'uri' | 'user' | 'host' | 'display';

interface Spans {
  bodyStart: number;
  displayStart: number;
  displayEnd: number;
  uriStart: number;
  uriEnd: number;
  userStart: number;
  userEnd: number;
  hostStart: number;
  hostEnd: number;
}

/** Byte offsets of the parts of the From or To header of msg, or null when unparsable. */
function spansOf(msg: SipMessage, which: 'from' | 'to'): Spans | null {
  const h = msg.first(which);
  const na = which === 'from' ? msg.from : msg.to;
  if (!h || !na) return null;
  const head = msg.head;
  const value = head.slice(h.valueStart, h.valueEnd);
  let uriAt: number;
  if (na.bracketed) {
    const lt = value.indexOf(`<${na.uri}>`);
    if (lt < 0) return null;
    uriAt = lt + 1;
  } else {
    uriAt = value.indexOf(na.uri);
    if (uriAt < 0) return null;
  }
  const base = h.valueStart;
  const uriStart = base + uriAt;
  const uriEnd = uriStart + na.uri.length;
  let displayStart = base;
  let displayEnd = base;
  if (na.display !== '') {
    const d = value.indexOf(na.display);
    if (d >= 0) {
      displayStart = base + d;
      displayEnd = displayStart + na.display.length;
    }
  }
  // user and host inside the URI text: scheme ':' [user [':' password] '@'] host …
  const uri = na.uri;
  const colon = uri.indexOf(':');
  if (colon < 0) return null;
  const at = uri.indexOf('@', colon + 1);
  const userPart = at >= 0 ? uri.slice(colon + 1, at) : '';
  const pw = userPart.indexOf(':');
  const userLen = pw >= 0 ? pw : userPart.length;
  const hostFrom = at >= 0 ? at + 1 : colon + 1;
  let hostTo = hostFrom;
  if (uri.charCodeAt(hostFrom) === 91 /* [ */) {
    const rb = uri.indexOf(']', hostFrom);
    hostTo = rb < 0 ? uri.length : rb + 1;
  } else {
    while (hostTo < uri.length && !':;?>'.includes(uri.charAt(hostTo))) hostTo++;
  }
  return {
    bodyStart: base,
    displayStart,
    displayEnd,
    uriStart,
    uriEnd,
    userStart: uriStart + colon + 1,
    userEnd: uriStart + colon + 1 + (at >= 0 ? userLen : 0),
    hostStart: uriStart + hostFrom,
    hostEnd: uriStart + hostTo,
  };
}

/**
 * Sets one attribute of From/To on the request's lumps. Returns false when the header
 * cannot be parsed or the value is not a string (Kamailio logs an error and goes on).
 */
export function setXtoAttr(
  ctx: RequestContext,
  which: 'from' | 'to',
  part: XtoPart,
  value: string | number | null,
): boolean {
  const msg = ctx.msg;
  const s = spansOf(msg, which);
  if (!s) return false;
  if (value !== null && typeof value !== 'string') return false;
  const edits = ctx.edits;
  switch (part) {
    case 'uri':
      if (value === null) return true; // "cannot be deleted"
      edits.replace(s.uriStart, s.uriEnd, value);
      return true;
    case 'host':
      if (value === null) return true;
      edits.replace(s.hostStart, s.hostEnd, value);
      return true;
    case 'user': {
      const hasUser = s.userEnd > s.userStart;
      if (value === null) {
        if (!hasUser) return true;
        const withAt = msg.head.charCodeAt(s.userEnd) === 64 ? 1 : 0;
        edits.remove(s.userStart, s.userEnd + withAt);
        return true;
      }
      if (!hasUser) edits.insert(s.hostStart, `${value}@`);
      else edits.replace(s.userStart, s.userEnd, value);
      return true;
    }
    case 'display': {
      const hasDisplay = s.displayEnd > s.displayStart;
      if (value === null) {
        if (!hasDisplay) return true;
        const withSpace = msg.head.charCodeAt(s.displayEnd) === 32 ? 1 : 0;
        edits.remove(s.displayStart, s.displayEnd + withSpace);
        return true;
      }
      if (!hasDisplay) edits.insert(s.bodyStart, `${value} `);
      else edits.replace(s.displayStart, s.displayEnd, value);
      return true;
    }
  }
}
