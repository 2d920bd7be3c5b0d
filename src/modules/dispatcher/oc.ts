/**
 * Overload control (6.0+, used by alg 64): a destination skips `ocrate` % of the
 * selections while the rate set by ds_oc_set_attrs() is valid (RFC 7339 style reduction).
 */

import { DsList, Destination, OcData, findSet, sameUriCi } from './model';
import { DsRng } from './rng';
import { shuffle100 } from './weights';

export function newOcData(ocmin: number, ocmax: number, ocrate: number, rng: DsRng): OcData {
  const oc = ocData({ ocmin, ocmax, ocrate, ocidx: 0, ocseq: 0, octimeMs: 0 }, new Uint8Array(100));
  ocPrepare(oc, rng);
  return oc;
}

/** A copy with skip slots of its own. */
export function copyOcData(o: OcData): OcData {
  return ocData(o, o.ocdist.slice());
}

/** Every OcData is made here: one hidden class for all of them (list-builder.ts, makeSeed). */
function ocData(o: Omit<OcData, 'ocdist'>, ocdist: Uint8Array): OcData {
  return {
    ocmin: o.ocmin,
    ocmax: o.ocmax,
    ocrate: o.ocrate,
    ocidx: o.ocidx,
    ocseq: o.ocseq,
    octimeMs: o.octimeMs,
    ocdist,
  };
}

/** ds_oc_prepare(): `ocrate` skip slots among 100, shuffled. */
function ocPrepare(oc: OcData, rng: DsRng): void {
  const d = oc.ocdist;
  for (let i = 0; i < 100; i++) d[i] = i < oc.ocrate ? 0 : 1;
  shuffle100(d, rng);
}

/** ds_oc_skip(): only while the rate is valid; consumes one slot when it is. */
export function ocSkip(d: Destination, nowMs: number): boolean {
  const oc = d.oc;
  if (oc.octimeMs < nowMs) return false;
  const skip = oc.ocdist[oc.ocidx] === 0;
  oc.ocidx = (oc.ocidx + 1) % 100;
  return skip;
}

/**
 * ds_oc_set_attrs(set, uri, rate, tval_ms, seq): 1 if any record was updated, -2 if none
 * matched (or all had a newer seq), -1 for an unknown set or empty list.
 */
export function ocSetAttrs(
  list: DsList | null,
  setId: number,
  uri: string,
  rate: number,
  tvalMs: number,
  seq: number,
  nowMs: number,
  rng: DsRng,
): 1 | -1 | -2 {
  const set = findSet(list, setId);
  if (set === null) return -1;
  const validity = tvalMs > 0 ? tvalMs : 500;
  let ret: 1 | -2 = -2;
  for (const d of set.dests) {
    if (!sameUriCi(d.uri, uri)) continue;
    if (d.oc.ocseq >= seq) continue;
    let r = rate;
    if (r < d.oc.ocmin) r = d.oc.ocmin;
    if (r > d.oc.ocmax) r = d.oc.ocmax;
    d.oc.ocrate = r;
    ocPrepare(d.oc, rng);
    d.oc.octimeMs = nowMs + validity;
    d.oc.ocseq = seq;
    ret = 1;
  }
  return ret;
}
