/**
 * What the dispatcher keeps per request, declared once (proxy/request-state.ts): the
 * values ds_dsg_fetch() left for $dsg, and the event data $dsv reads in an event route.
 * The `_dsdst_` / `_dsctx_` records live in one place only, the script's xavp store
 * (proxy-view.ts), which travels with the transaction into failure_route.
 */
import { declareRequestState } from '../../proxy/request-state';
import type { DsgValues } from './match';
import type { DsEvent } from './state';

/** Where $dsv reads from in an event route. */
export interface DsEventData {
  ev: DsEvent;
}

export const DS_DSG = declareRequestState<DsgValues | null>('dispatcher.dsg');
export const DS_EVENT = declareRequestState<DsEventData>('dispatcher.event');
