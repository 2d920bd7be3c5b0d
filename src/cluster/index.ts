/**
 * Several dsd nodes as one load balancer over a shared PostgreSQL db_url: events through
 * LISTEN/NOTIFY, admin states and heartbeats in dsd's own tables. See README.md.
 */

export { ClusterNode } from './node';
export { decodeMessage, encodeMessage, ClusterMessageError } from './messages';
export { applyClusterEvent, adminEntriesFor, destStatesOf } from './apply';
export { buildClusterListResult, wantsDest } from './rpc';
export { defaultClusterParams, goneAfter, checkClusterConfig, CLUSTER_PARAMS } from './params';
