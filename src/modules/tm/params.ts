/**
 * tm's modparams, read once here (Kamailio's param_export_t): the transaction timers and
 * reply modes dsd applies (transaction/config.ts), and dsd's own bound on work in flight
 * (proxy/admission.ts). Every other Kamailio 5.6 tm parameter is accepted and has no effect.
 */
import { ModParamError, lastValues, type ParamExport } from '../../core/modparams';
import { KAMAILIO_MODPARAMS } from '../../script/kamailio-signatures';
import { TM_DEFAULTS, type TmConfig } from '../../transaction/config';
import { ADMISSION_DEFAULTS, type AdmissionConfig } from '../../proxy/admission';

export interface TmParams {
  readonly tm: TmConfig;
  /** max_transactions, max_transaction_bytes, max_transactions_per_source, busy_retry_after, max_queue_wait. */
  readonly admission: AdmissionConfig;
}

function num(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export const TM_PARAMS: ParamExport<TmParams> = {
  module: 'tm',
  kinds: {
    ...KAMAILIO_MODPARAMS.tm,
    max_transactions: 'int',
    max_transaction_bytes: 'int',
    max_transactions_per_source: 'int',
    busy_retry_after: 'int',
    max_queue_wait: 'int',
  },
  read(params) {
    const last = lastValues(params);
    const n = (name: string): number | undefined => num(last.get(name));
    const count = (name: string, dflt: number): number => {
      const v = last.get(name);
      if (v === undefined) return dflt;
      const c = Number(v);
      if (!Number.isInteger(c) || c < 0)
        throw new ModParamError('tm', name, `expects a non-negative integer, got ${String(v)}`);
      return c;
    };
    return {
      tm: {
        ...TM_DEFAULTS,
        frTimer: n('fr_timer') ?? TM_DEFAULTS.frTimer,
        frInvTimer: n('fr_inv_timer') ?? TM_DEFAULTS.frInvTimer,
        failureReplyMode: n('failure_reply_mode') ?? TM_DEFAULTS.failureReplyMode,
        remap503: (n('remap_503_500') ?? 1) !== 0,
        aggregateChallenges: (n('aggregate_challenges') ?? 1) !== 0,
        t1: n('retr_timer1') ?? TM_DEFAULTS.t1,
        t2: n('retr_timer2') ?? TM_DEFAULTS.t2,
        wtTimer: n('wt_timer') ?? TM_DEFAULTS.wtTimer,
      },
      admission: {
        maxTransactions: count('max_transactions', ADMISSION_DEFAULTS.maxTransactions),
        maxBytes: count('max_transaction_bytes', ADMISSION_DEFAULTS.maxBytes),
        maxPerSource: count('max_transactions_per_source', ADMISSION_DEFAULTS.maxPerSource),
        retryAfter: count('busy_retry_after', ADMISSION_DEFAULTS.retryAfter),
        maxQueueWait: count('max_queue_wait', ADMISSION_DEFAULTS.maxQueueWait),
      },
    };
  },
};
