/**
 * Public surface of the dispatcher engine (Kamailio 5.6.3 `dispatcher`, socket-free).
 * See engine.ts for the operations, rpc-handlers.ts for the RPC methods.
 */

export { Dispatcher } from './engine';
export type { DispatcherOptions, LoadReport, ReloadSource, MarkResult, DsLogger } from './engine';
export { dispatcherRpcMethods } from './rpc-handlers';
export type { DsRpcHandler } from './rpc-handlers';
export {
  buildListResult, buildHashResult, buildOclistResult, buildPingActiveResult, parseListMode,
  UNSIGNED_RESULT_FIELDS, RELOAD_OK, STATE_OK, ADD_OK, REMOVE_OK,
} from './rpc-results';
export type { ListMode, ListOptions } from './rpc-results';
export { rpcScan } from './rpc-scan';
export { DsRpcError, ListFileError, ListLoadError, DestinationError, ParamError } from './errors';
export { DsParams, defaultParams, setParam, finalizeParams, isDsParamName, PARAM_SPECS } from './params';
export { parseListFile, MAX_LINE_CHARS } from './list-file';
export type { DsRecordInput, ListFileRecord, ListFileWarning, ListFileParse } from './list-file';
export { appendExtraAttrs, parseExtraAttrsParam, recordsFromDbRows } from './db-rows';
export type { DbRow, ExtraAttr } from './db-rows';
export type { DsResolver } from './list-builder';
export type { DsSocketLookup, SocketSpec } from './socket-spec';
export { parseSocketSpec, acceptAllSockets } from './socket-spec';
export type { DsRequestView, DsMarkContext, DsSource, DsLoadMessage } from './request';
export type { SelectResult, SelectMode, PushAction } from './select';
export type { DsBranch } from './algorithms/parallel';
export type { NextDstResult } from './next-dst';
export type { DstRecord } from './xavp-records';
export { prependRecords } from './xavp-records';
export type { PingTarget, PingSocket } from './keepalive';
export type { DsEvent, DsEventContext, DsEventName } from './state';
export type { FromListMatch, DsgValues } from './match';
export type { AdminStateEntry } from './admin-state';
export type { DsList, DsSet, Destination, DsSocketRef, SetId } from './model';
export { dsHash } from './hash';
export { flagsString, parseMarkState, parseRpcState } from './flags';
export { seededRng, systemClock } from './rng';
export type { DsRng, DsClock } from './rng';
