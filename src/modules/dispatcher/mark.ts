/**
 * Script marks (ds_mark_dst, ds_mark_addr): the state a mark sets and the $dsv context
 * its event carries. The engine applies the result through the threshold rules.
 */
import { DS_PROBING_DST, parseMarkState } from './flags';
import type { DsParams } from './params';
import type { DsMarkContext } from './request';
import type { DsEventContext } from './state';

/** $dsv code/reason/flags of a mark: the reply's, or Kamailio's 810 (faked), 820 (request), 800. */
export function markEventContext(m: DsMarkContext): DsEventContext {
  switch (m.kind) {
    case 'reply':
      return { code: m.code ?? 0, reason: m.reason ?? null, flags: 1 };
    case 'faked':
      return { code: 810, reason: null, flags: 0 };
    case 'request':
      return { code: 820, reason: null, flags: 0 };
    default:
      return { code: 800, reason: null, flags: 0 };
  }
}

/** State bits of a mark: the given state, or with none i (plus p with ds_probing_mode 1); null when it does not parse. */
export function markStateBits(state: string | null, params: DsParams): number | null {
  if (state === null || state.length === 0) return 1 | (params.ds_probing_mode === 1 ? DS_PROBING_DST : 0);
  return parseMarkState(state);
}
