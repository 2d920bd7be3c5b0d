/**
 * rr's modparams that change what dsd writes (Kamailio's param_export_t): enable_full_lr
 * (`;lr=on`) and append_fromtag (`;ftag=`). The other Kamailio 5.6 rr parameters are
 * accepted and have no effect.
 */
import { lastValues, type ParamExport } from '../../core/modparams';
import { KAMAILIO_MODPARAMS } from '../../script/kamailio-signatures';
import { RR_DEFAULTS, type RrOptions } from '../../proxy/forward';

function flag(v: string | number | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  const n = Number(v);
  return Number.isFinite(n) ? n !== 0 : dflt;
}

export const RR_PARAMS: ParamExport<RrOptions> = {
  module: 'rr',
  kinds: KAMAILIO_MODPARAMS.rr ?? {},
  read(params) {
    const last = lastValues(params);
    return {
      fullLr: flag(last.get('enable_full_lr'), RR_DEFAULTS.fullLr),
      fromTag: flag(last.get('append_fromtag'), true),
    };
  },
};
