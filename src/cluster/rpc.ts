/**
 * `cluster.list [dest]`: every node of the cluster with its last heartbeat and whether it
 * is up or gone; with `dest`, each destination's state as that node sees it, so an
 * operator sees at once that node B cannot reach gw3.
 *
 *   [ { NAME, ADDRESS, VERSION, LAST_HEARTBEAT, STATE: "up"|"gone"
 *       [dest] DESTS: [ { DEST: { SET, URI, FLAGS } } ] } ]
 *
 * LAST_HEARTBEAT is ISO 8601 UTC to the second. Nodes come sorted by name.
 */

import type { ClusterNode } from './node';
import type { ClusterNodeInfo } from './store';

export interface ClusterListEntry {
  readonly NAME: string;
  readonly ADDRESS: string;
  readonly VERSION: string;
  readonly LAST_HEARTBEAT: string;
  readonly STATE: 'up' | 'gone';
  readonly DESTS?: { DEST: { SET: number; URI: string; FLAGS: string } }[];
}

function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function buildClusterListResult(nodes: readonly ClusterNodeInfo[], withDest: boolean): ClusterListEntry[] {
  return nodes.map((n) => {
    const e: ClusterListEntry = {
      NAME: n.name,
      ADDRESS: n.address,
      VERSION: n.version,
      LAST_HEARTBEAT: isoSeconds(n.lastHeartbeat),
      STATE: n.state,
    };
    if (!withDest) return e;
    return { ...e, DESTS: (n.dests ?? []).map((d) => ({ DEST: { SET: d.set, URI: d.uri, FLAGS: d.flags } })) };
  });
}

/** `dest` as the first positional param (`dsctl cluster.list dest`) or a truthy named `dest`. */
export function wantsDest(args: readonly unknown[], named: Readonly<Record<string, unknown>> = {}): boolean {
  const a = args[0];
  if (typeof a === 'string' && a.toLowerCase() === 'dest') return true;
  const n = named.dest ?? named.mode;
  return n === true || n === 1 || (typeof n === 'string' && (n.toLowerCase() === 'dest' || n === '1' || n === 'true'));
}

/**
 * The cluster.list handler: throws the node's DbError while PostgreSQL is unreachable
 * (the lead maps it to a 500 fault "Cluster Unavailable" with the message as data).
 */
export async function clusterList(
  node: ClusterNode,
  goneAfterSec: number,
  withDest: boolean,
): Promise<ClusterListEntry[]> {
  return buildClusterListResult(await node.listNodes(goneAfterSec), withDest);
}
