/** Algorithm numbers of ds_select*(). */
export const DS_ALG_HASHCALLID = 0;
export const DS_ALG_HASHFROMURI = 1;
export const DS_ALG_HASHTOURI = 2;
export const DS_ALG_HASHRURI = 3;
export const DS_ALG_ROUNDROBIN = 4;
export const DS_ALG_HASHAUTHUSER = 5;
export const DS_ALG_RANDOM = 6;
export const DS_ALG_HASHPV = 7;
export const DS_ALG_SERIAL = 8;
export const DS_ALG_WEIGHT = 9;
export const DS_ALG_CALLLOAD = 10;
export const DS_ALG_RELWEIGHT = 11;
export const DS_ALG_PARALLEL = 12;
export const DS_ALG_LATENCY = 13;
export const DS_ALG_OVERLOAD = 64;

/** Algorithms whose pick is a pure function of the request (ds_hash_respread applies). */
export function isHashAlg(alg: number): boolean {
  return (
    alg === DS_ALG_HASHCALLID ||
    alg === DS_ALG_HASHFROMURI ||
    alg === DS_ALG_HASHTOURI ||
    alg === DS_ALG_HASHRURI ||
    alg === DS_ALG_HASHAUTHUSER ||
    alg === DS_ALG_HASHPV
  );
}
