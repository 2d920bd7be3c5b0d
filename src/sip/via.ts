/**
 * Via header values (RFC 3261 §20.42, RFC 3581). Parsed straight from the header
 * section with offsets into it, because the proxy splices Via values (removes ours from
 * responses, appends received/rport to the top one) without re-serializing the rest.
 * White space, including folded line breaks, is allowed around `/`, `;`, `=` and `:`.
 */
import type { HeaderField } from './headers';
import { SipParseError } from './errors';
import { splitList, quotedEnd } from './nameaddr';
import { isTokenChar, isWs } from './token';

export interface Via {
  /** Upper-cased transport: UDP, TCP, TLS, SCTP, WS, … */
  readonly transport: string;
  readonly host: string;
  readonly port: number | null;
  readonly branch: string | null;
  readonly received: string | null;
  /** null when absent, "" for a bare `rport`, else its value. */
  readonly rport: string | null;
  /** The header line holding this value, and the value's [start, end) in msg.head. */
  readonly header: HeaderField;
  readonly start: number;
  readonly end: number;
  /** Offset in msg.head just past the `rport` name (to insert "=port"), or -1. */
  readonly rportNameEnd: number;
  /** Offset in msg.head just past the sent-by (host[:port]): where Kamailio puts received=. */
  readonly sentByEnd: number;
  /** True when this is the only value in its header line. */
  readonly alone: boolean;
}

function bad(why: string): never {
  throw new SipParseError(400, `Bad Via: ${why}`);
}

/** Parses every value of one Via header line of `head` and appends them to `out`. */
export function parseViaList(head: string, h: HeaderField, out: Via[]): void {
  // nearly every Via line holds one value: no list to split (and no arrays to allocate)
  let k = h.valueStart;
  while (k < h.valueEnd && head.charCodeAt(k) !== 44) k++;
  if (k === h.valueEnd) {
    if (h.valueStart === h.valueEnd) bad('empty value');
    out.push(parseOne(head, h.valueStart, h.valueEnd, h, true));
    return;
  }
  const parts = splitList(head, h.valueStart, h.valueEnd);
  for (const [a, b] of parts) {
    if (a === b) bad('empty value');
    out.push(parseOne(head, a, b, h, parts.length === 1));
  }
}

function skipWs(s: string, i: number, end: number): number {
  while (i < end && isWs(s.charCodeAt(i))) i++;
  return i;
}

function token(s: string, i: number, end: number): number {
  while (i < end && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}

function parseOne(s: string, start: number, end: number, header: HeaderField, alone: boolean): Via {
  // sent-protocol: name / version / transport
  let i = skipWs(s, start, end);
  let j = token(s, i, end);
  if (j === i || s.slice(i, j).toUpperCase() !== 'SIP') bad('protocol name');
  i = skipWs(s, j, end);
  if (s.charCodeAt(i) !== 47) bad('protocol');
  i = skipWs(s, i + 1, end);
  j = token(s, i, end);
  if (s.slice(i, j) !== '2.0') bad('protocol version');
  i = skipWs(s, j, end);
  if (s.charCodeAt(i) !== 47) bad('protocol');
  i = skipWs(s, i + 1, end);
  j = token(s, i, end);
  if (j === i) bad('transport');
  const transport = s.slice(i, j).toUpperCase();
  i = j;
  const wsBefore = i;
  i = skipWs(s, i, end);
  if (i === wsBefore) bad('no space before sent-by');
  // sent-by: host [ : port ]
  let host: string;
  if (s.charCodeAt(i) === 91) {
    const rb = s.indexOf(']', i);
    if (rb < 0 || rb >= end) bad('IPv6 reference');
    host = s.slice(i, rb + 1);
    i = rb + 1;
  } else {
    j = i;
    while (j < end) {
      const c = s.charCodeAt(j);
      if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46 || c === 95)
        j++;
      else break;
    }
    if (j === i) bad('host');
    host = s.slice(i, j);
    i = j;
  }
  let port: number | null = null;
  let sentByEnd = i;
  i = skipWs(s, i, end);
  if (s.charCodeAt(i) === 58) {
    i = skipWs(s, i + 1, end);
    j = i;
    let v = 0;
    while (j < end && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) {
      v = v * 10 + s.charCodeAt(j) - 48;
      j++;
    }
    if (j === i || v > 65535) bad('port');
    port = v;
    sentByEnd = j;
    i = skipWs(s, j, end);
  }
  let branch: string | null = null;
  let received: string | null = null;
  let rport: string | null = null;
  let rportNameEnd = -1;
  while (i < end) {
    if (s.charCodeAt(i) === 40) {
      // a comment, as some old stacks send
      const cp = s.indexOf(')', i);
      if (cp < 0 || cp >= end) bad('comment');
      i = skipWs(s, cp + 1, end);
      continue;
    }
    if (s.charCodeAt(i) !== 59) bad('junk after sent-by');
    i = skipWs(s, i + 1, end);
    j = token(s, i, end);
    if (j === i) bad('empty parameter');
    const name = s.slice(i, j).toLowerCase();
    const nameEnd = j;
    i = skipWs(s, j, end);
    let value: string | null = null;
    if (s.charCodeAt(i) === 61) {
      i = skipWs(s, i + 1, end);
      if (s.charCodeAt(i) === 34) {
        const qe = quotedEnd(s, i);
        if (qe < 0 || qe > end) bad('quoted parameter');
        value = s.slice(i, qe);
        j = qe;
      } else if (s.charCodeAt(i) === 91) {
        const rb = s.indexOf(']', i);
        if (rb < 0 || rb >= end) bad('IPv6 parameter');
        j = rb + 1;
        value = s.slice(i, j);
      } else {
        j = i;
        while (j < end && (isTokenChar(s.charCodeAt(j)) || s.charCodeAt(j) === 58)) j++;
        value = s.slice(i, j);
      }
      i = skipWs(s, j, end);
    }
    if (name === 'branch') {
      if (value === null) bad('branch without value');
      branch = value;
    } else if (name === 'received') received = value;
    else if (name === 'rport') {
      rport = value ?? '';
      rportNameEnd = nameEnd;
    }
  }
  return { transport, host, port, branch, received, rport, header, start, end, rportNameEnd, sentByEnd, alone };
}

/** The RFC 3261 magic cookie every compliant branch starts with. */
export const MAGIC_COOKIE = 'z9hG4bK';
