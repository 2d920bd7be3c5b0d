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
export type {
  BuildEnv,
  BuiltArg,
  ExecResult,
  FixupArg,
  FunctionDef,
  ModParamType,
  ModuleDef,
  ParamKind,
  PvDef,
  PvParseApi,
  PvRef,
  ResolvedFunction,
  TransformDef,
} from './registry';
export { compileConfig, compileConfigText, checkConfig, checkConfigText } from './config';
export type { CheckResult, CompileOptions, CompiledConfig } from './config';
export { ConfigError, ConfigErrors, type SourcePos } from './errors';
export { Script, type RouteRunner, type RunAction, type RunResult } from './script';
export { LoadedModule, type ModuleParamValue } from './modules-load';
export { defaultGlobals, parseAddress, type Globals, type ListenAddress, type ListenProto } from './globals';
export {
  LogLevel,
  simpleHost,
  newSimpleCtx,
  type LogRecord,
  type MyselfOperand,
  type ScriptHost,
  type SimpleCtx,
} from './host';
export { AvpStore, MessageStore, XavpRecord, XavpStore, type XavpItem, type XavpScalar } from './store';
export { RouteType, routeAllows } from './route-types';
export { KAMAILIO_FUNCTIONS, KAMAILIO_MODPARAMS, type KamailioFunctionSignature } from './kamailio-signatures';
export { KAMAILIO_MODULES, moduleNameFromSpec } from './kamailio-modules';
export { toInt, toStr, toFmt, type Val } from './values';
export type { RunState } from './compile-env';
