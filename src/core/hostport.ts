/**
 * `[proto:]host[:port]` — Kamailio's parse_phostport(), the one reader of socket and
 * address specs (listen=, alias=, advertise, the dispatcher's `socket` attribute and
 * ds_default_socket). Callers add their own rules on top (which protocols, port range).
 */
export interface HostPortParts {
  /** Lower-cased protocol prefix, when the text starts with one of `protos` and a colon. */
  readonly proto: string | null;
  /** Host as written: an IPv6 reference keeps its brackets. */
  readonly host: string;
  /** Text after the host's colon, null when there is none. */
  readonly port: string | null;
}

/** Splits the text; null when the shape is wrong (empty host, unclosed bracket, `host:`). */
export function splitHostPort(text: string, protos: readonly string[]): HostPortParts | null {
  let s = text;
  let proto: string | null = null;
  const c1 = s.indexOf(':');
  if (c1 > 0) {
    const head = s.slice(0, c1).toLowerCase();
    if (protos.includes(head)) {
      proto = head;
      s = s.slice(c1 + 1);
    }
  }
  if (s.length === 0) return null;
  let host: string;
  let rest: string;
  if (s.charCodeAt(0) === 91) {
    const rb = s.indexOf(']');
    if (rb < 0) return null;
    host = s.slice(0, rb + 1);
    rest = s.slice(rb + 1);
  } else {
    const c = s.indexOf(':');
    host = c < 0 ? s : s.slice(0, c);
    rest = c < 0 ? '' : s.slice(c);
  }
  if (host.length === 0) return null;
  if (rest.length === 0) return { proto, host, port: null };
  if (rest.charCodeAt(0) !== 58 || rest.length === 1) return null;
  return { proto, host, port: rest.slice(1) };
}

/** A decimal port of at most 65535 (no sign, no spaces); null otherwise. */
export function portNumber(text: string): number | null {
  if (text.length === 0) return null;
  let port = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i);
    if (d < 48 || d > 57) return null;
    port = port * 10 + (d - 48);
    if (port > 65535) return null;
  }
  return port;
}
