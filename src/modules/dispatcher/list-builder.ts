/**
 * Turns destination records (file lines, DB rows, RPC adds) into a DsList, the way
 * pack_dest() + add_dest2list() + reindex_dests() do:
 *  - each record is checked and resolved (bad ones are skipped with a warning, or fail the
 *    whole load with ds_load_mode=1);
 *  - a set's entries are kept in ascending priority, stable in input order, then copied
 *    in REVERSE: highest priority first, equal priorities in reverse input order;
 *  - sets are inserted in an AVL tree and listed in post-order;
 *  - the weight tables are built and shuffled.
 */

import { DsAttrs, parseAttrs } from './attrs';
import { DestUriInfo, parseDestinationUri } from './destination-uri';
import { DestinationError, ListLoadError } from './errors';
import { DS_NODNSARES_DST } from './flags';
import { ipFamily, normalizeIp, unbracket } from './ip';
import { DsRecordInput } from './list-file';
import {
  Destination,
  DsList,
  DsSet,
  DsSocketRef,
  LatencyStats,
  OcData,
  SetId,
  newLatencyStats,
  sameUriCi,
} from './model';
import { AvlTree } from './avl';
import { newOcData } from './oc';
import { DsParams } from './params';
import { DsRng } from './rng';
import { DsSocketLookup, parseSocketSpec } from './socket-spec';
import { initRelativeWeights, initWeights } from './weights';

/** DNS as the dispatcher needs it; injected so tests and IP-only lists need no network. */
export interface DsResolver {
  /** A/AAAA (resolvehost): the first address, or null when the name does not resolve. */
  resolveHost(host: string): Promise<string | null>;
  /** SRV/NAPTR (sip_resolvehost) for ds_dns_mode & 8; port/proto 0 mean "unchanged". */
  resolveSip?(
    host: string,
    port: number,
    proto: number,
  ): Promise<{ address: string; port: number; proto: number } | null>;
}

export interface BuildContext {
  readonly params: DsParams;
  readonly resolver: DsResolver | null;
  readonly sockets: DsSocketLookup;
  /** ds_default_sockname / ds_default_socket, already looked up. */
  readonly defaultSock: DsSocketRef | null;
  readonly rng: DsRng;
  /** Core dns_try_ipv6: when false, `[v6]` destinations are skipped. */
  readonly tryIpv6: boolean;
}

/** A checked destination before it gets its array index (and its keepalive counter). */
export type DestSeed = Omit<Destination, 'idx' | 'messageCount' | 'latency' | 'oc'> & {
  /** Settable: retained latency stats are copied in before the list is assembled. */
  latency: LatencyStats;
  oc: OcData;
};

export interface BuildResult {
  readonly list: DsList;
  readonly warnings: readonly string[];
  /** Records that were skipped (ds_load_mode=0). */
  readonly skipped: readonly DestinationError[];
}

/** Runtime state a rebuilt destination keeps (add/remove keep flags and call load). */
export interface CarriedState {
  readonly flags: number;
  readonly dload: number;
  readonly ipAddress: string | null;
  readonly port: number;
  readonly proto: number;
  readonly dnsTimeMs: number;
  readonly sock: DsSocketRef | null;
  readonly latency: LatencyStats | null;
  readonly oc: OcData | null;
}

function fail(input: DsRecordInput, reason: string): DestinationError {
  return new DestinationError(input.setId, input.uri, reason, input.origin);
}

function lookupSocket(attrs: DsAttrs, ctx: BuildContext, input: DsRecordInput): DsSocketRef | null {
  if (attrs.sockname !== null && attrs.sockname.length > 0) {
    const s = ctx.sockets.byName(attrs.sockname);
    if (s === null) throw fail(input, `non-local socket name <${attrs.sockname}>`);
    return s;
  }
  if (attrs.socket !== null && attrs.socket.length > 0) {
    const spec = parseSocketSpec(attrs.socket);
    if (spec === null) throw fail(input, `bad socket <${attrs.socket}>`);
    const s = ctx.sockets.bySpec(spec);
    if (s === null) throw fail(input, `non-local socket <${attrs.socket}>`);
    return s;
  }
  return ctx.defaultSock;
}

async function resolve(
  info: DestUriInfo,
  ctx: BuildContext,
  input: DsRecordInput,
): Promise<{ ip: string; port: number; proto: number }> {
  const lit = normalizeIp(info.host);
  if (lit !== null) return { ip: lit, port: info.port, proto: info.proto };
  const r = ctx.resolver;
  if (r === null) throw fail(input, `could not resolve ${info.host} (no resolver; missing no-probing flag 16?)`);
  const safe = async <T>(p: () => Promise<T | null>): Promise<T | null> => {
    try {
      return await p();
    } catch {
      return null;
    } // a resolver error is a failed lookup
  };
  if ((ctx.params.ds_dns_mode & 8) !== 0 && r.resolveSip) {
    const sip = r.resolveSip.bind(r);
    const a = await safe(() => sip(info.host, info.port, info.proto));
    const ip = a === null ? null : normalizeIp(a.address);
    if (a === null || ip === null) throw fail(input, `could not resolve ${info.host} (missing no-probing flag?!?)`);
    return { ip, port: a.port !== 0 ? a.port : info.port, proto: a.proto !== 0 ? a.proto : info.proto };
  }
  const a = await safe(() => r.resolveHost(unbracket(info.host)));
  const ip = a === null ? null : normalizeIp(a);
  if (ip === null) throw fail(input, `could not resolve ${info.host} (missing no-probing flag?!?)`);
  return { ip, port: info.port, proto: info.proto };
}

/**
 * pack_dest(): checks one record. Throws DestinationError when Kamailio would refuse it.
 * With `carry` (add/remove rebuild) the previous address, socket and runtime state are
 * reused instead of resolving again.
 */
export async function packDest(
  input: DsRecordInput,
  ctx: BuildContext,
  carry: CarriedState | null = null,
  warnings: string[] | null = null,
): Promise<DestSeed> {
  const info = parseDestinationUri(input.uri);
  if ('error' in info) throw fail(input, info.error);
  if (info.fixed && warnings) warnings.push(`${input.origin}: uri without sip scheme - fixing it: ${input.uri}`);
  if (!ctx.tryIpv6 && ipFamily(info.host) === 6 && info.host.startsWith('[')) {
    throw fail(input, 'IPv6 destination skipped (dns_try_ipv6 is off)');
  }
  const pa = parseAttrs(input.attrs, ctx.params.ds_attrs_none !== 0);
  if (!pa.ok) throw fail(input, `cannot set attributes: ${pa.reason}`);
  if (warnings) for (const w of pa.warnings) warnings.push(`${input.origin}: ${w}`);
  const attrs = pa.attrs;
  const sock = carry !== null ? carry.sock : lookupSocket(attrs, ctx, input);
  const flags = input.flags;
  const noIpAddr = (flags & DS_NODNSARES_DST) !== 0;
  let ip: string | null = null;
  let port = info.port;
  let proto = info.proto;
  let dnsTimeMs = 0;
  if (carry !== null) {
    ip = carry.ipAddress;
    port = carry.port;
    proto = carry.proto;
    dnsTimeMs = carry.dnsTimeMs;
  } else if (!noIpAddr && (ctx.params.ds_dns_mode & (1 | 4)) !== 0) {
    const r = await resolve(info, ctx, input);
    ip = r.ip;
    port = r.port;
    proto = r.proto;
  }
  const keepLatency = carry !== null && carry.latency !== null;
  return makeSeed({
    setId: input.setId,
    uri: info.uri,
    host: info.host,
    port,
    proto,
    flags: carry !== null ? carry.flags : flags,
    priority: input.priority,
    attrs,
    sock,
    ipAddress: ip,
    noIpAddr,
    dnsTimeMs,
    dload: carry !== null ? carry.dload : 0,
    latency: keepLatency ? carry.latency! : newLatencyStats(attrs.latency),
    oc: carry !== null && carry.oc !== null ? carry.oc : newOcData(attrs.ocmin, attrs.ocmax, attrs.ocrate, ctx.rng),
  });
}

/**
 * `s` as a new seed, built here field by field (a Destination passed in leaves its idx and
 * messageCount behind). Every seed is made by this function, so every destination of every
 * list shares one hidden class: code V8 optimised on one list stays valid on another (the
 * warm-up's copy, issue #19; a rebuild after add/remove). A spread would give a class of its own.
 */
export function makeSeed(s: DestSeed): DestSeed {
  return {
    setId: s.setId,
    uri: s.uri,
    host: s.host,
    port: s.port,
    proto: s.proto,
    flags: s.flags,
    priority: s.priority,
    attrs: s.attrs,
    sock: s.sock,
    ipAddress: s.ipAddress,
    noIpAddr: s.noIpAddr,
    dnsTimeMs: s.dnsTimeMs,
    dload: s.dload,
    latency: s.latency,
    oc: s.oc,
  };
}

/** add_dest2list() for every seed in order, then reindex_dests(). */
export function assembleList(seeds: readonly DestSeed[], rng: DsRng, generation: number): DsList {
  const tree = new AvlTree();
  const pending = new Map<SetId, DestSeed[]>();
  for (const s of seeds) {
    tree.insert(s.setId);
    let arr = pending.get(s.setId);
    if (arr === undefined) {
      arr = [];
      pending.set(s.setId, arr);
    }
    // After every entry with priority <= ours: stable ascending order.
    let k = arr.length;
    while (k > 0 && arr[k - 1]!.priority > s.priority) k--;
    arr.splice(k, 0, s);
  }
  const sets: DsSet[] = [];
  const byId = new Map<SetId, DsSet>();
  for (const id of tree.postOrder()) {
    const asc = pending.get(id)!;
    const nr = asc.length;
    const dests: Destination[] = new Array(nr);
    for (let j = 0; j < nr; j++) dests[j] = { ...asc[nr - 1 - j]!, idx: j, messageCount: 0 };
    const set: DsSet = {
      id,
      dests,
      last: 0,
      wlast: 0,
      rwlast: 0,
      wlist: new Uint16Array(100),
      rwlist: new Uint16Array(100),
    };
    initWeights(dests, set.wlist, rng);
    initRelativeWeights(set, rng);
    sets.push(set);
    byId.set(id, set);
  }
  return { sets, byId, generation };
}

/**
 * Builds a list from records (file or DB order). Bad records are skipped with a warning
 * (ds_load_mode=0) or make the whole build fail with ListLoadError (ds_load_mode=1).
 * `previous` lets ds_retain_latency_stats carry latency across a reload.
 */
export async function buildList(
  inputs: readonly DsRecordInput[],
  ctx: BuildContext,
  generation: number,
  previous: DsList | null = null,
): Promise<BuildResult> {
  const warnings: string[] = [];
  const outcomes = await Promise.all(
    inputs.map(async (inp) => {
      const w: string[] = [];
      try {
        return { seed: await packDest(inp, ctx, null, w), err: null, w };
      } catch (e) {
        if (e instanceof DestinationError) return { seed: null, err: e, w };
        throw e;
      }
    }),
  );
  const seeds: DestSeed[] = [];
  const skipped: DestinationError[] = [];
  for (const o of outcomes) {
    warnings.push(...o.w);
    if (o.seed !== null) {
      seeds.push(o.seed);
      continue;
    }
    const err = o.err!;
    if (ctx.params.ds_load_mode === 1) {
      throw new ListLoadError(`${err.message} (ds_load_mode=1: load refused)`, [err]);
    }
    skipped.push(err);
    warnings.push(`${err.message} -- skipping`);
  }
  if (previous !== null && ctx.params.ds_retain_latency_stats && ctx.params.ds_ping_latency_stats) {
    for (const s of seeds) {
      const old = previous.byId.get(s.setId)?.dests.find((d) => sameUriCi(d.uri, s.uri));
      if (old) s.latency = { ...old.latency };
    }
  }
  return { list: assembleList(seeds, ctx.rng, generation), warnings, skipped };
}
