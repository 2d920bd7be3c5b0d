// Public API of the routing-script engine (the kamailio.cfg language).
import { registerBuiltinFunctions, registerBuiltinTransforms } from './builtin-functions';
import { registerBuiltinPvs } from './builtin-pvs';
import { KAMAILIO_MODPARAMS } from './kamailio-signatures';
import { ScriptRegistry } from './registry';

/**
 * A registry preloaded with what the engine implements itself: the xlog and pv
 * modules ($var, $avp, $xavp, $Ts, $pp, $RANDOM, $env, xlog/xdbg/..., pv_isset,
 * pv_unset, is_int, not_empty, xavp_rm, xavp_child_*) and the s.* transformations.
 * Registering the same names again replaces these.
 */
export function createRegistry<Ctx>(): ScriptRegistry<Ctx> {
  const reg = new ScriptRegistry<Ctx>();
  reg.registerModule({ name: 'xlog', params: KAMAILIO_MODPARAMS.xlog });
  reg.registerModule({ name: 'pv', params: KAMAILIO_MODPARAMS.pv });
  registerBuiltinPvs(reg);
  registerBuiltinFunctions(reg);
  registerBuiltinTransforms(reg);
  return reg;
}

export { ScriptRegistry, FixupError } from './registry';
export type { ModParamType, ParamKind } from './param-kinds';
export { compileConfig, compileConfigText, checkConfig, checkConfigText } from './config';
export type { CompiledConfig } from './config';
export { ConfigError, ConfigErrors } from './errors';
export { Script, type RunResult } from './script';
export { LoadedModule } from './modules-load';
export { parseAddress } from './globals';
export { LogLevel, simpleHost, type LogRecord, type MyselfOperand, type ScriptHost } from './host';
export { MessageStore, XavpRecord } from './store';
export { RouteType, routeAllows } from './route-types';
export { KAMAILIO_FUNCTIONS } from './kamailio-signatures';
export { KAMAILIO_MODULES } from './kamailio-modules';
export { type Val } from './values';
