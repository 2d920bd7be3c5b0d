/**
 * Destination attributes (`name=value;...`) as ds_set_attrs() reads them, including the
 * quirks of core parse_params(): the list is built in reverse, so when a name repeats the
 * FIRST occurrence wins; quoted values lose their quotes; `,` or `>` ends the list; a
 * malformed list fails the whole record. Unknown names stay only in the body.
 */

export interface DsAttrs {
  /** The attrs text (trailing `;` stripped), or null when the record had none. */
  readonly body: string | null;
  readonly duid: string | null;
  readonly maxload: number;
  readonly weight: number;
  /** Mutable: congestion control rewrites it at run time. */
  rweight: number;
  readonly cc: number;
  readonly socket: string | null;
  readonly sockname: string | null;
  readonly pingFrom: string | null;
  readonly obproxy: string | null;
  /** 6.1+ `ping_socket` (extension; not printed by 5.6). */
  readonly pingSocket: string | null;
  /** `latency=N` seed for the latency stats, or null. */
  readonly latency: number | null;
  /** 6.0+ overload-control bounds and initial rate, already normalized. */
  readonly ocmin: number;
  readonly ocmax: number;
  readonly ocrate: number;
}

export interface AttrParam {
  readonly name: string;
  /** null when the parameter has no `=` at all (Kamailio's NULL body). */
  readonly value: string | null;
}

export type AttrsParse =
  | { readonly ok: true; readonly attrs: DsAttrs; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly reason: string };

function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

/**
 * core parse_params() with ';' separator, returned in document order. Null plus a reason
 * when Kamailio would reject the list.
 */
export function parseParamList(s: string): { params: AttrParam[] } | { error: string } {
  const out: AttrParam[] = [];
  const len = s.length;
  let p = 0;
  if (len === 0) return { params: out };
  for (;;) {
    const ns = p;
    while (p < len) {
      const c = s.charCodeAt(p);
      if (isWs(c) || c === 44 /* , */ || c === 61 /* = */ || c === 59 /* ; */) break;
      p++;
    }
    const name = s.slice(ns, p);
    while (p < len && isWs(s.charCodeAt(p))) p++;
    if (p >= len) {
      out.push({ name, value: null });
      return { params: out };
    }
    let value: string | null = null;
    if (s.charCodeAt(p) === 61) {
      p++;
      while (p < len && isWs(s.charCodeAt(p))) p++;
      if (p >= len) {
        out.push({ name, value: '' });
        return { params: out };
      }
      const q = s.charCodeAt(p);
      if (q === 34 || q === 39) {
        if (len - p < 2) return { error: `bad quoted value for "${name}"` };
        const end = s.indexOf(s.charAt(p), p + 1);
        if (end < 0) return { error: `unterminated quoted value for "${name}"` };
        value = s.slice(p + 1, end);
        p = end + 1;
      } else {
        const vs = p;
        while (p < len) {
          const c = s.charCodeAt(p);
          if (isWs(c) || c === 44 || c === 59) break;
          p++;
        }
        if (p === vs) return { error: `empty value token for "${name}"` };
        value = s.slice(vs, p);
      }
      while (p < len && isWs(s.charCodeAt(p))) p++;
      if (p >= len) {
        out.push({ name, value });
        return { params: out };
      }
    }
    out.push({ name, value });
    const c = s.charCodeAt(p);
    if (c === 44 || c === 62) return { params: out }; // ',' or '>' ends the list
    if (c !== 59) return { error: `invalid character '${s[p]}' after "${name}" (expected ';')` };
    p++;
    while (p < len && isWs(s.charCodeAt(p))) p++;
    if (p >= len) return { error: `parameter name missing after ';'` };
  }
}

/**
 * Kamailio str2sint(): optional sign and decimal digits. On a non-digit it stops and
 * reports failure but keeps the value read so far (callers that ignore the status get
 * "50" out of "50abc"); overflow clamps. A NULL body leaves the target untouched (null).
 */
export function str2sint(s: string | null): { value: number; ok: boolean } | null {
  if (s === null) return null;
  let i = 0;
  let neg = false;
  if (s[0] === '+') i++;
  else if (s[0] === '-') {
    neg = true;
    i++;
  }
  let r = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return { value: r, ok: false };
    r = neg ? r * 10 - (c - 48) : r * 10 + (c - 48);
    if (r > 2147483647) return { value: 2147483647, ok: false };
    if (r < -2147483648) return { value: -2147483648, ok: false };
  }
  return { value: r, ok: true };
}

function intOf(v: string | null, dflt: number): number {
  const r = str2sint(v);
  return r === null ? dflt : r.value;
}

/**
 * ds_set_attrs(): parse a record's attrs. `attrsNone` is modparam ds_attrs_none (records
 * without attrs get `none=yes`).
 */
export function parseAttrs(raw: string | null, attrsNone = false): AttrsParse {
  let text: string | null = raw !== null && raw.length > 0 ? raw : attrsNone ? 'none=yes' : null;
  const warnings: string[] = [];
  if (text === null) return { ok: true, attrs: emptyAttrs(), warnings };
  if (text.charCodeAt(text.length - 1) === 59) text = text.slice(0, -1);
  const parsed = parseParamList(text);
  if ('error' in parsed) return { ok: false, reason: `bad attrs "${text}": ${parsed.error}` };
  let duid: string | null = null,
    socket: string | null = null,
    sockname: string | null = null;
  let pingFrom: string | null = null,
    obproxy: string | null = null,
    pingSocket: string | null = null;
  let maxload = 0,
    weight = 0,
    rweight = 0,
    cc = 0,
    latency: number | null = null;
  let ocmin = 0,
    ocmax = 100,
    ocrate = 0;
  // Kamailio walks its reversed list, so the first occurrence of a name is applied last.
  for (const { name, value } of [...parsed.params].reverse()) {
    switch (name.toLowerCase()) {
      case 'duid':
        duid = value;
        break;
      case 'cc':
        cc = intOf(value, cc);
        break;
      case 'weight': {
        const w = value === null ? 0 : str2sint(value)!.value;
        if (w >= 1 && w <= 100) weight = w;
        else {
          weight = 0;
          warnings.push(`weight ${w} not in 1-100 range - ignoring destination weight`);
        }
        break;
      }
      case 'rweight': {
        const w = value === null ? 0 : str2sint(value)!.value;
        if (w >= 1 && w <= 100) rweight = w;
        else {
          rweight = 0;
          warnings.push(`rweight ${w} not in 1-100 range - ignoring`);
        }
        break;
      }
      case 'latency': {
        const r = str2sint(value);
        if (r !== null && r.ok) latency = r.value;
        break;
      }
      case 'maxload':
        maxload = intOf(value, maxload);
        break;
      case 'socket':
        socket = value;
        break;
      case 'sockname':
        sockname = value;
        break;
      case 'ping_from':
        pingFrom = value;
        break;
      case 'obproxy':
        obproxy = value;
        break;
      case 'ping_socket':
        pingSocket = value;
        break;
      case 'ocmin':
        ocmin = uintOf(value, ocmin);
        break;
      case 'ocmax':
        ocmax = uintOf(value, ocmax);
        break;
      case 'ocrate':
        ocrate = uintOf(value, ocrate);
        break;
      default:
        break;
    }
  }
  if (ocmax > 100 || ocmax === 0) ocmax = 100;
  if (ocmin > 100 || ocmin > ocmax) ocmin = 0;
  if (ocrate > 100) ocrate = 0;
  if (ocrate < ocmin) ocrate = ocmin;
  if (ocrate > ocmax) ocrate = ocmax;
  return {
    ok: true,
    warnings,
    attrs: copyAttrs({
      body: text,
      duid,
      maxload,
      weight,
      rweight,
      cc,
      socket,
      sockname,
      pingFrom,
      obproxy,
      pingSocket,
      latency,
      ocmin,
      ocmax,
      ocrate,
    }),
  };
}

function uintOf(v: string | null, dflt: number): number {
  const r = str2sint(v);
  if (r === null) return dflt;
  return r.value < 0 ? 0 : r.value;
}

/**
 * `a` as a new object, built here field by field. Every DsAttrs is made by this function, so
 * all of them share one hidden class: code V8 optimised on one list (the warm-up's copy)
 * stays valid on another (list-builder.ts, makeSeed). A spread would give a class of its own.
 */
export function copyAttrs(a: DsAttrs, rweight: number = a.rweight): DsAttrs {
  return {
    body: a.body,
    duid: a.duid,
    maxload: a.maxload,
    weight: a.weight,
    rweight,
    cc: a.cc,
    socket: a.socket,
    sockname: a.sockname,
    pingFrom: a.pingFrom,
    obproxy: a.obproxy,
    pingSocket: a.pingSocket,
    latency: a.latency,
    ocmin: a.ocmin,
    ocmax: a.ocmax,
    ocrate: a.ocrate,
  };
}

function emptyAttrs(): DsAttrs {
  return copyAttrs(EMPTY_ATTRS);
}

const EMPTY_ATTRS: DsAttrs = {
  body: null,
  duid: null,
  maxload: 0,
  weight: 0,
  rweight: 0,
  cc: 0,
  socket: null,
  sockname: null,
  pingFrom: null,
  obproxy: null,
  pingSocket: null,
  latency: null,
  ocmin: 0,
  ocmax: 100,
  ocrate: 0,
};
