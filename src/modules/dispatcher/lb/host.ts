/**
 * What the lb/ operations need from the dispatcher engine: a narrow view, so that the
 * engine imports lb/ (LbPolicy, RngTape) and lb/ never imports the engine. Dispatcher
 * satisfies it as it is.
 */
import type { CallLoadTable } from '../calload';
import type { Destination, DsList, DsSet } from '../model';
import type { DsParams } from '../params';
import type { SelectContext } from '../select-types';
import type { DsEvent, DsEventContext, StateSource } from '../state';
import type { LbPolicy } from './policy';
import type { RngTape } from './rng-tape';

export interface LbEngine {
  /** The current list (null before the first load). */
  readonly list: DsList | null;
  readonly params: DsParams;
  readonly lb: LbPolicy;
  readonly callLoad: CallLoadTable | null;
  readonly rngTape: RngTape;
  /** The selection context as select() uses it. */
  selectionContext(): SelectContext;
  /** A health change decided outside keepalives and script marks (passive ejection). */
  applyHealth(set: DsSet, d: Destination, state: number, source: StateSource, ctx: DsEventContext): DsEvent | null;
}
