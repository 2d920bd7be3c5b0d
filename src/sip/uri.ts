/**
 * SIP/SIPS/TEL URI parsing (RFC 3261 §19.1) by index scanning, no regex: URIs are parsed
 * on the hot path (R-URI, Route, Record-Route, dispatcher hashes) and must stay cheap.
 *
 * The parsed form keeps the original text of every part, so a URI we do not rewrite is
 * forwarded byte for byte, and the hash keys the dispatcher needs (`host:port` literal
 * text) come straight from the input as Kamailio takes them.
 */
import { DsdError } from '../core/errors';

export interface SipUri {
  /** Lower-cased scheme without the colon: "sip", "sips", "tel", or anything else. */
  readonly scheme: string;
  /** User part as written (escapes kept), or "" when there is none. */
  readonly user: string;
  /** Password as written, or null. */
  readonly password: string | null;
  /** Host as written; IPv6 references keep their brackets. */
  readonly host: string;
  /** Explicit port, or null when the URI has none. */
  readonly port: number | null;
  /** `host[:port]` exactly as written. */
  readonly hostport: string;
  /** The `;param...` section without the leading ';', or "" when absent. */
  readonly params: string;
  /** The `?headers` section without the '?', or null when absent. */
  readonly headers: string | null;
  /** The whole URI text. */
  readonly raw: string;
}

export class UriParseError extends DsdError {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super('DSD_ERR_URI', `invalid URI "${input.length > 80 ? input.slice(0, 80) + '…' : input}": ${reason}`);
  }
}

const CH_COLON = 58,
  CH_AT = 64,
  CH_SEMI = 59,
  CH_QMARK = 63,
  CH_LBRACK = 91,
  CH_RBRACK = 93;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

/** Parse a URI; returns null on syntax errors (use parseUriOrThrow for a reason). */
export function parseUri(input: string): SipUri | null {
  const r = parseUriInternal(input);
  return typeof r === 'string' ? null : r;
}

export function parseUriOrThrow(input: string): SipUri {
  const r = parseUriInternal(input);
  if (typeof r === 'string') throw new UriParseError(input, r);
  return r;
}

function parseUriInternal(s: string): SipUri | string {
  const len = s.length;
  if (len === 0) return 'empty';
  const colon = s.indexOf(':');
  if (colon <= 0) return 'no scheme';
  for (let i = 0; i < colon; i++) {
    const c = s.charCodeAt(i);
    const alpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!alpha && (i === 0 || !((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46))) return 'bad scheme';
  }
  for (let i = 0; i < len; i++) if (isSpace(s.charCodeAt(i))) return 'white space in URI';
  const scheme = s.slice(0, colon).toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips') {
    // tel: and other schemes: keep the opaque part as the "user", nothing else to split.
    const semi = s.indexOf(';', colon + 1);
    const user = semi < 0 ? s.slice(colon + 1) : s.slice(colon + 1, semi);
    return {
      scheme,
      user,
      password: null,
      host: '',
      port: null,
      hostport: '',
      params: semi < 0 ? '' : s.slice(semi + 1),
      headers: null,
      raw: s,
    };
  }
  let p = colon + 1;
  let user = '';
  let password: string | null = null;
  const at = s.indexOf('@', p);
  if (at >= 0) {
    const uinfo = s.slice(p, at);
    if (uinfo.length === 0) return 'empty user part';
    const pc = uinfo.indexOf(':');
    if (pc >= 0) {
      user = uinfo.slice(0, pc);
      password = uinfo.slice(pc + 1);
    } else user = uinfo;
    p = at + 1;
  }
  const hostStart = p;
  let hostEnd: number;
  if (s.charCodeAt(p) === CH_LBRACK) {
    const rb = s.indexOf(']', p);
    if (rb < 0) return 'unterminated IPv6 reference';
    hostEnd = rb + 1;
    p = hostEnd;
  } else {
    while (p < len) {
      const c = s.charCodeAt(p);
      if (c === CH_COLON || c === CH_SEMI || c === CH_QMARK) break;
      if (c === CH_AT || c === CH_LBRACK || c === CH_RBRACK || c === 60 || c === 62 || c === 34)
        return 'bad character in host';
      p++;
    }
    hostEnd = p;
  }
  if (hostEnd === hostStart) return 'empty host';
  let port: number | null = null;
  if (p < len && s.charCodeAt(p) === CH_COLON) {
    p++;
    const ps = p;
    let v = 0;
    while (p < len) {
      const c = s.charCodeAt(p);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      p++;
    }
    if (p === ps || v > 65535) return 'bad port';
    port = v;
  }
  const hostportEnd = p;
  let params = '';
  let headers: string | null = null;
  if (p < len) {
    const c = s.charCodeAt(p);
    if (c === CH_SEMI) {
      const q = s.indexOf('?', p + 1);
      params = q < 0 ? s.slice(p + 1) : s.slice(p + 1, q);
      if (q >= 0) headers = s.slice(q + 1);
    } else if (c === CH_QMARK) {
      headers = s.slice(p + 1);
    } else {
      return 'junk after host';
    }
  }
  return {
    scheme,
    user,
    password,
    host: s.slice(hostStart, hostEnd),
    port,
    hostport: s.slice(hostStart, hostportEnd),
    params,
    headers,
    raw: s,
  };
}

/**
 * Value of a URI parameter (case-insensitive name): the value text, "" for a flag
 * parameter such as `;lr`, or null when absent.
 */
export function uriParam(uri: SipUri, name: string): string | null {
  return findParam(uri.params, name);
}

/**
 * Finds `name[=value]` in a `a=b;c;d=e` parameter list (case-insensitive name). A ';'
 * inside a quoted value (header parameters may be quoted-strings) does not split.
 */
export function findParam(params: string, name: string): string | null {
  const len = params.length;
  const n = name.length;
  let i = 0;
  while (i < len) {
    // one parameter: [i, end)
    let end = i;
    let eq = -1;
    while (end < len) {
      const c = params.charCodeAt(end);
      if (c === 59) break;
      if (c === 61 && eq < 0) eq = end;
      else if (c === 34) {
        let k = end + 1;
        while (k < len && params.charCodeAt(k) !== 34) k += params.charCodeAt(k) === 92 ? 2 : 1;
        end = k;
      }
      end++;
    }
    if (end > len) end = len;
    let s = i;
    while (s < end && (params.charCodeAt(s) === 32 || params.charCodeAt(s) === 9)) s++;
    const nameEnd = eq >= 0 ? eq : end;
    let ne = nameEnd;
    while (ne > s && (params.charCodeAt(ne - 1) === 32 || params.charCodeAt(ne - 1) === 9)) ne--;
    if (ne - s === n && params.slice(s, ne).toLowerCase() === name) {
      return eq < 0 ? '' : params.slice(eq + 1, end).trim();
    }
    i = end + 1;
  }
  return null;
}

/** Transport named by the URI: explicit `;transport=`, else tcp/tls by scheme default. */
export function uriTransport(uri: SipUri): 'udp' | 'tcp' | 'tls' | 'sctp' | 'ws' | 'wss' | null {
  const t = uriParam(uri, 'transport');
  if (t === null || t === '') return null;
  const v = t.toLowerCase();
  if (v === 'udp' || v === 'tcp' || v === 'tls' || v === 'sctp' || v === 'ws' || v === 'wss') return v;
  return null;
}

/** Host without IPv6 brackets, for socket APIs. */
export function bareHost(host: string): string {
  return host.charCodeAt(0) === CH_LBRACK ? host.slice(1, -1) : host;
}

/** Default port for the scheme (5060, or 5061 for sips). */
export function defaultPort(uri: SipUri): number {
  return uri.scheme === 'sips' ? 5061 : 5060;
}
