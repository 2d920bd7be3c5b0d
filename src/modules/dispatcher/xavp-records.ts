/**
 * `_dsdst_` xavp records: what ds_select*() leaves behind for failover (ds_next_dst,
 * ds_mark_dst, $xavp(_dsdst_=>uri) …). Fields and presence rules follow
 * ds_add_xavp_record(); keys are in the order Kamailio adds them.
 */

import { Destination, DsSocketRef, SetId } from './model';

export interface DstRecord {
  readonly uri: string;
  readonly grp: SetId;
  /** Attrs body, unless empty or xavp_dst_mode & 1. */
  readonly attrs?: string;
  /** The send socket, when the destination has one. */
  readonly sock?: DsSocketRef;
  /** `socket` attr text (xavp_dst_mode & 2, only with a socket). */
  readonly socket?: string;
  /** `sockname` attr text (xavp_dst_mode & 4, only with a socket). */
  readonly sockname?: string;
  /** duid, for alg 10 records only. */
  readonly dstid?: string;
}

const XAVP_DST_SKIP_ATTRS = 1;
const XAVP_DST_ADD_SOCKSTR = 2;
const XAVP_DST_ADD_SOCKNAME = 4;

/** Null when an alg-10 record lacks a duid (Kamailio then fails the select). */
export function makeDstRecord(d: Destination, setId: SetId, alg: number, xavpDstMode: number): DstRecord | null {
  const r: { -readonly [K in keyof DstRecord]: DstRecord[K] } = { uri: d.uri, grp: setId };
  if ((xavpDstMode & XAVP_DST_SKIP_ATTRS) === 0 && d.attrs.body !== null && d.attrs.body.length > 0)
    r.attrs = d.attrs.body;
  if (d.sock !== null) {
    r.sock = d.sock;
    if (xavpDstMode & XAVP_DST_ADD_SOCKSTR && d.attrs.socket !== null && d.attrs.socket.length > 0)
      r.socket = d.attrs.socket;
    if (xavpDstMode & XAVP_DST_ADD_SOCKNAME && d.attrs.sockname !== null && d.attrs.sockname.length > 0)
      r.sockname = d.attrs.sockname;
  }
  if (alg === 10) {
    if (d.attrs.duid === null || d.attrs.duid.length === 0) return null;
    r.dstid = d.attrs.duid;
  }
  return r;
}

/** New records go before the records an earlier select left, in selection order. */
export function prependRecords(existing: readonly DstRecord[], added: readonly DstRecord[]): DstRecord[] {
  return added.length === 0 ? existing.slice() : [...added, ...existing];
}
