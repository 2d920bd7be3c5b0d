/**
 * ds_next_dst()/ds_next_domain() (drop the head `_dsdst_` record, apply the next one)
 * and ds_set_dst()/ds_set_domain() (apply the head record as is), over the records the
 * caller keeps for the transaction. For alg-10 records (`dstid`) the call load moves to
 * the new destination; a record whose duid left the set is skipped.
 */

import { CallLoadTable, loadReplace } from './calload';
import { DsList } from './model';
import { DsParams } from './params';
import { clockSec } from './rng';
import { rewriteHostAll } from './ruri';
import type { PushAction } from './select-types';
import { DstRecord } from './xavp-records';

export interface NextDstContext {
  readonly list: DsList | null;
  readonly params: DsParams;
  readonly callLoad: CallLoadTable | null;
  readonly nowMs: number;
}

export interface NextDstResult {
  /** 1 on success, −1 when no usable record is left (or failover is off). */
  readonly code: number;
  /** The records after the operation (the input array is not modified). */
  readonly records: DstRecord[];
  /** Last destination pushed (also set when the code is −1 after a skipped record). */
  readonly push: PushAction | null;
  readonly messages: string[];
}

/**
 * `next` = ds_next_*; otherwise ds_set_*. `ruri` is the current R-URI (domain mode),
 * `callId` the Call-ID body (alg-10 load moves).
 */
export function updateDst(
  ctx: NextDstContext,
  records: readonly DstRecord[],
  next: boolean,
  mode: 'dst' | 'domain',
  req: { readonly ruri: string; readonly callId: string | null },
): NextDstResult {
  const recs = records.slice();
  const messages: string[] = [];
  let push: PushAction | null = null;
  let ruri = req.ruri;
  const done = (code: number): NextDstResult => ({ code, records: recs, push, messages });
  if (next && ((ctx.params.flags & 2) === 0 || ctx.params.xavp_dst.length === 0)) {
    messages.push('failover support disabled');
    return done(-1);
  }
  for (;;) {
    if (recs.length === 0) return done(-1);
    if (next) {
      recs.shift();
      if (recs.length === 0) return done(-1);
    }
    const head = recs[0];
    if (head === undefined) return done(-1);
    if (mode === 'domain') {
      const nr = rewriteHostAll(ruri, head.uri);
      if (nr === null) {
        messages.push(`cannot set dst addr: ${head.uri}`);
        return done(-1);
      }
      ruri = nr;
      push = { mode, uri: head.uri, sock: head.sock ?? null, newRuri: nr };
    } else {
      push = { mode, uri: head.uri, sock: head.sock ?? null, newRuri: null };
    }
    if (head.dstid === undefined || !next) return done(1);
    const rc =
      req.callId === null
        ? -1
        : loadReplace(ctx.callLoad ?? emptyTable, ctx.list, req.callId, head.dstid, clockSec(ctx.nowMs));
    if (rc === 0) return done(1);
    if (rc === -2) {
      messages.push(`cannot update load with ${head.dstid}, skipping dst.`);
      continue;
    }
    messages.push('cannot update load distribution');
    return done(-1);
  }
}

const emptyTable = new CallLoadTable(0, 0);
