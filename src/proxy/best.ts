/**
 * The final reply of a proxy transaction once every branch is done (RFC 3261 §16.7
 * step 6, tm's t_pick_branch): the best outcome, then what goes upstream — the branch's
 * own reply, or one of ours (tm's remap_503_500, aggregated challenges, a timeout).
 */
import type { SipMessage } from '../sip/message';

export interface BranchOutcome {
  readonly status: number;
  readonly local: boolean;
}

function rank(o: BranchOutcome): number {
  const cls = Math.floor(o.status / 100);
  const classRank = cls === 6 ? 0 : cls === 2 ? -1 : cls;
  return classRank * 10000 + (o.local ? 1000 : 0) + o.status;
}

/**
 * Index of the best outcome, or -1 when there is none. A 6xx wins, then the lowest
 * class; within a class the lowest code. A reply received beats a local timeout (408)
 * of the same class.
 */
export function pickBest(outcomes: readonly (BranchOutcome | null)[]): number {
  let best = -1;
  let bestRank = Infinity;
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i];
    if (!o) continue;
    const r = rank(o);
    if (r < bestRank) {
      bestRank = r;
      best = i;
    }
  }
  return best;
}

/** What goes upstream: a branch's reply relayed, or a reply of our own. */
export type FinalChoice =
  | { readonly kind: 'relay'; readonly branch: number; readonly reply: SipMessage }
  | {
      readonly kind: 'local';
      /** The branch the reply stands for, -1 for none (the transaction observers see it). */
      readonly branch: number;
      readonly status: number;
      readonly reason: string;
      readonly headers?: string[];
    };

export interface FinalOptions {
  /** tm's remap_503_500. */
  readonly remap503: boolean;
  /** tm's auth_reply_count > 1: one 401/407 carrying every branch's challenge. */
  readonly aggregateChallenges: boolean;
  /** A CANCEL came from upstream: a branch that ended silently answers 487. */
  readonly canceled: boolean;
}

/**
 * The final reply, from each branch's outcome and final reply (both null for a branch
 * that no longer counts).
 */
export function chooseFinal(
  outcomes: readonly (BranchOutcome | null)[],
  replies: readonly (SipMessage | null)[],
  opts: FinalOptions,
): FinalChoice {
  const best = pickBest(outcomes);
  const outcome = outcomes[best];
  if (best < 0 || !outcome) return { kind: 'local', branch: -1, status: 500, reason: 'Server Internal Error' };
  const reply = replies[best] ?? null;
  if (reply === null) {
    const status = opts.canceled ? 487 : outcome.status;
    return { kind: 'local', branch: best, status, reason: reasonFor(status) };
  }
  // a reply of our own, 500 with the 503's reason phrase
  if (reply.status === 503 && opts.remap503) {
    return { kind: 'local', branch: -1, status: 500, reason: 'Service Unavailable' };
  }
  if ((reply.status === 401 || reply.status === 407) && opts.aggregateChallenges) {
    const headers = challenges(replies);
    if (headers !== null) {
      const reason = reply.status === 401 ? 'Unauthorized' : 'Proxy Authentication Required';
      return { kind: 'local', branch: -1, status: reply.status, reason, headers };
    }
  }
  return { kind: 'relay', branch: best, reply };
}

/**
 * Every WWW-Authenticate and Proxy-Authenticate of the 401/407 replies, in branch
 * order, when more than one branch challenged; null otherwise.
 */
function challenges(replies: readonly (SipMessage | null)[]): string[] | null {
  const out: string[] = [];
  let challenged = 0;
  for (const r of replies) {
    if (!r || (r.status !== 401 && r.status !== 407)) continue;
    challenged++;
    for (const h of r.headers) {
      if (h.name === 'www-authenticate' || h.name === 'proxy-authenticate') {
        out.push(r.head.slice(h.lineStart, h.lineEnd).replace(/\r?\n$/, ''));
      }
    }
  }
  return challenged > 1 ? out : null;
}

/** The reason phrase of a reply dsd generates for a failed relay. */
export function reasonFor(code: number): string {
  switch (code) {
    case 408:
      return 'Request Timeout';
    case 416:
      return 'Unsupported URI Scheme';
    case 477:
      return 'Unfortunately error on sending to next hop occurred';
    case 478:
      return 'Unresolvable destination';
    case 487:
      return 'Request Terminated';
    case 500:
      return 'Server Internal Error';
    case 503:
      return 'Service Unavailable';
    default:
      return 'Error';
  }
}
