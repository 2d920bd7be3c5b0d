/**
 * Several dsd nodes as one load balancer over a shared PostgreSQL db_url: events through
 * LISTEN/NOTIFY, admin states and heartbeats in dsd's own tables. See README.md.
 */

export { ClusterNode } from './node';
export {
  readNodes,
  readAdminStates,
  upsertAdminStates,
  deleteAdminState,
  writeNodeRow,
  markStopped,
  lastHeartbeat,
} from './store';
export type { ClusterNodeOptions, RemoteHandler, PublishOutcome, PublishOptions } from './node';
export type { ClusterNodeInfo, DestStateView, NodeRow } from './store';
export {
  CLUSTER_EVENT_KINDS,
  decodeMessage,
  encodeMessage,
  checkArgs,
  ClusterMessageError,
  MAX_PAYLOAD_BYTES,
} from './messages';
export type { ClusterEventArgs, ClusterEventKind, ClusterMessage } from './messages';
export { DEFAULT_CLUSTER_TABLES, clusterDdl, ensureClusterSchema } from './schema';
export type { ClusterTables } from './schema';
export { applyClusterEvent, adminEntriesFor, destStatesOf } from './apply';
export type { ClusterApplyTarget, ApplyOptions } from './apply';
export { clusterList, buildClusterListResult, wantsDest, isoSeconds } from './rpc';
export type { ClusterListEntry } from './rpc';
export { defaultClusterParams, goneAfter, checkClusterConfig, CLUSTER_PARAMS } from './params';
export type { ClusterParams } from './params';
