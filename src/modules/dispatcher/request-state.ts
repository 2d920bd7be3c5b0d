/**
 * What the dispatcher keeps per request, declared once (proxy/request-state.ts): the
 * `_dsdst_` / `_dsctx_` records that travel with the transaction into failure_route, the
 * values ds_dsg_fetch() left for $dsg, and the event data $dsv reads in an event route.
 */
import { declareRequestState } from '../../proxy/request-state';
import type { DstRecord } from './xavp-records';
import type { DsgValues } from './match';
import type { DsEvent } from './state';

/** Where $dsv reads from in an event route. */
export interface DsEventData { ev: DsEvent }

export const DS_DST = declareRequestState<DstRecord[]>('dispatcher.dst');
export const DS_CTX = declareRequestState<number[]>('dispatcher.ctx');
export const DS_DSG = declareRequestState<DsgValues | null>('dispatcher.dsg');
export const DS_EVENT = declareRequestState<DsEventData>('dispatcher.event');
