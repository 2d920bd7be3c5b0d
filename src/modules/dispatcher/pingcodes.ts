/**
 * ds_ping_reply_codes: extra keepalive replies that count as "alive", e.g.
 * `class=2;code=403;code=488`. Codes outside 100..699 and classes outside 1..6 are
 * dropped, other names ignored (Kamailio's ds_parse_reply_codes()).
 */

import { parseParamList, str2sint } from './attrs';

export interface PingReplyCodes {
  readonly codes: readonly number[];
  readonly classes: readonly number[];
}

export const NO_REPLY_CODES: PingReplyCodes = { codes: [], classes: [] };

/** Null when the string is not a valid parameter list (mod_init then fails). */
export function parsePingReplyCodes(s: string | null): PingReplyCodes | null {
  if (s === null || s.length === 0) return NO_REPLY_CODES;
  const parsed = parseParamList(s);
  if ('error' in parsed) return null;
  const codes: number[] = [];
  const classes: number[] = [];
  for (const { name, value } of parsed.params) {
    const n = name.toLowerCase();
    const r = str2sint(value);
    const v = r === null ? 0 : r.value;
    if (n === 'code' && v >= 100 && v < 700) codes.push(v);
    else if (n === 'class' && v >= 1 && v < 7) classes.push(v);
  }
  return { codes, classes };
}

/** ds_ping_check_rplcode(): a listed code, or a code in a listed class. */
function matchesReplyCode(rc: PingReplyCodes, code: number): boolean {
  for (const c of rc.codes) if (c === code) return true;
  const cls = Math.trunc(code / 100);
  for (const c of rc.classes) if (c === cls) return true;
  return false;
}

/** Whether a keepalive reply means the destination is alive. */
export function isPingSuccess(rc: PingReplyCodes, code: number): boolean {
  return (code >= 200 && code <= 299) || matchesReplyCode(rc, code);
}
