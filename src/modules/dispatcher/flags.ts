/**
 * Destination state bits (the `flags` column and the runtime state) and the strings that
 * encode them: the RPC FLAGS column, ds_mark_dst() states and dispatcher.set_state values.
 */

export const DS_INACTIVE_DST = 1;
export const DS_TRYING_DST = 2;
export const DS_DISABLED_DST = 4;
export const DS_PROBING_DST = 8;
export const DS_NODNSARES_DST = 16;
/** 5.6 replaces these bits on every state update (devel uses 63, adding NOPING). */
export const DS_STATES_ALL = 31;

/** Inactive or disabled destinations are never selected; TRYING still is. */
export function isSkipped(flags: number): boolean {
  return (flags & (DS_INACTIVE_DST | DS_DISABLED_DST)) !== 0;
}

/** The two-char FLAGS string of dispatcher.list (5.6: second char is P or X). */
export function flagsString(flags: number): string {
  let c0: string;
  if (flags & DS_INACTIVE_DST) c0 = 'I';
  else if (flags & DS_DISABLED_DST) c0 = 'D';
  else if (flags & DS_TRYING_DST) c0 = 'T';
  else c0 = 'A';
  return c0 + (flags & DS_PROBING_DST ? 'P' : 'X');
}

/**
 * ds_mark_dst("...") state string. Order matters: `a` clears what came before it, so
 * "ap" is active+probing and "pa" is plain active. Returns null for any other character.
 */
export function parseMarkState(s: string): number | null {
  let flag = 0;
  for (let i = 0; i < s.length; i++) {
    switch (s.charCodeAt(i) | 0x20) {
      case 0x61:
        flag &= ~DS_STATES_ALL;
        break; // a
      case 0x69:
        flag |= DS_INACTIVE_DST;
        break; // i
      case 0x64:
        flag |= DS_DISABLED_DST;
        break; // d
      case 0x74:
        flag |= DS_TRYING_DST;
        break; // t
      case 0x70:
        flag |= DS_PROBING_DST;
        break; // p
      default:
        return null;
    }
  }
  return flag;
}

/** Outcome of parsing a dispatcher.set_state value. */
export type RpcStateParse =
  | { readonly ok: true; readonly state: number }
  | { readonly ok: false; readonly message: 'Invalid State Parameter' | 'Unknown State Value' };

/**
 * dispatcher.set_state value: first char 0/i, 1/a, 2/d, 3/t; a second `p` adds probing
 * (ignored for disabled); anything after that is ignored, as in Kamailio.
 */
export function parseRpcState(s: string): RpcStateParse {
  if (s.length === 0) return { ok: false, message: 'Invalid State Parameter' };
  const c = s[0];
  const probing = s.length > 1 && (s[1] === 'p' || s[1] === 'P') ? DS_PROBING_DST : 0;
  if (c === '0' || c === 'i' || c === 'I') return { ok: true, state: DS_INACTIVE_DST | probing };
  if (c === '1' || c === 'a' || c === 'A') return { ok: true, state: probing };
  if (c === '2' || c === 'd' || c === 'D') return { ok: true, state: DS_DISABLED_DST };
  if (c === '3' || c === 't' || c === 'T') return { ok: true, state: DS_TRYING_DST | probing };
  return { ok: false, message: 'Unknown State Value' };
}
