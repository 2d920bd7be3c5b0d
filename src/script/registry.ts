// Registries through which the SIP core and modules give the language its
// functions, pseudo-variables, transformations and module parameters.
import type { RunState } from './run-state';
import type { ModParamType, ParamKind } from './param-kinds';
import type { SourcePos } from './errors';
import type { ScriptHost } from './host';
import { KAMAILIO_FUNCTIONS, KAMAILIO_MODPARAMS } from './kamailio-signatures';
import { RouteType } from './route-types';
import type { Val } from './values';
import { DsdError } from '../core/errors';

/** A compiled pseudo-variable reference. */
export interface PvRef<Ctx> {
  readonly text: string;
  get(ctx: Ctx): Val;
  /** null when the variable is read-only. */
  readonly set: ((ctx: Ctx, v: Val) => void) | null;
}

interface FixupArg {
  readonly kind: ParamKind;
  /** The value is known at load time (literal, or constant expression). */
  readonly isStatic: boolean;
  /** The static value (already converted to the kind), or undefined when dynamic. */
  readonly value: unknown;
  readonly pos: SourcePos;
}

/** Error thrown by a fixup to refuse an argument; reported at that argument's position. */
export class FixupError extends DsdError {
  constructor(
    message: string,
    readonly argIndex: number | null = null,
  ) {
    super('DSD_ERR_FIXUP', message);
  }
}

export type ExecResult = number | Promise<number>;

/** Arguments as the compiler hands them to `build`: static value or per-call getter. */
export interface BuiltArg<Ctx> {
  readonly kind: ParamKind;
  readonly isStatic: boolean;
  readonly value: unknown;
  /** Per-call value; pass the run state given to your closure (it carries $rc). */
  readonly get: (ctx: Ctx, rs: RunState) => unknown;
}

export interface FunctionDef<Ctx> {
  readonly name: string;
  /** Kamailio module the function belongs to (null = core); default from the signature table. */
  readonly module?: string | null;
  /** Parameter kinds; default from the signature table. */
  readonly params?: readonly ParamKind[];
  /** With `params`: how many are required (the rest are optional). */
  readonly min?: number;
  /** Alternative to params/min: allowed parameter lists (Kamailio overloads by count). */
  readonly variants?: readonly (readonly ParamKind[])[];
  /** Allowed route types (RouteType bits); default from the signature table, else ANY. */
  readonly routes?: number;
  /** Load-time check/conversion of static arguments; return replacements for static values. */
  fixup?(args: readonly FixupArg[], pos: SourcePos): void | readonly unknown[];
  /** Run the function: >0 true, <0 false, 0 stops the script (Kamailio semantics). */
  readonly exec?: (ctx: Ctx, ...args: any[]) => ExecResult;
  /** Advanced alternative to exec: build the per-call closure yourself. */
  readonly build?: (args: readonly BuiltArg<Ctx>[], env: BuildEnv<Ctx>) => (ctx: Ctx, rs: RunState) => ExecResult;
}

interface BuildEnv<Ctx> {
  readonly host: ScriptHost<Ctx>;
  readonly pos: SourcePos;
}

/** Resolved view of a function (registration merged with the signature table). */
export interface ResolvedFunction<Ctx> {
  readonly name: string;
  readonly module: string | null;
  readonly variants: readonly (readonly ParamKind[])[];
  readonly routes: number;
  readonly def: FunctionDef<Ctx> | null;
}

export interface PvParseApi<Ctx> {
  /** Index text of $(name(inner)[index]), or null. */
  readonly index: string | null;
  /** Compile a nested reference, e.g. the $fu inside $T_req($fu). Throws on error. */
  parsePv(text: string): PvRef<Ctx>;
  readonly host: ScriptHost<Ctx>;
  /** Slot allocator for per-process script variables ($var). */
  varSlot(name: string): number;
  readonly vars: Val[];
}

export interface PvDef<Ctx, P = any> {
  readonly name: string;
  /** Module that must be loaded for the variable to exist (Kamailio: most PVs come from pv.so). */
  readonly module?: string | null;
  /** Parse the text in $name(...). Required iff the variable takes a name. Throw to refuse. */
  parse?(inner: string, api: PvParseApi<Ctx>): P;
  /** Accept an index, $(name(x)[n]); the parser reads api.index. */
  readonly indexed?: boolean;
  get(ctx: Ctx, param: P): Val;
  /** Assignment; value null means $null. Omit for read-only variables. */
  set?(ctx: Ctx, param: P, value: Val): void;
}

export interface TransformDef {
  /** e.g. 's.len', 'uri.user' */
  readonly name: string;
  /** Build the transformation from its comma-separated parameters; throw to refuse. */
  compile(params: readonly string[]): (v: Val) => Val;
}

export interface ModuleDef {
  readonly name: string;
  /** Declared parameters; default from the Kamailio table when known. */
  readonly params?: Readonly<Record<string, ModParamType>>;
  /** Called for each modparam at load; return a message to refuse the value. */
  onParam?(name: string, value: string | number, pos: SourcePos): string | void;
}

function expandParams(params: readonly ParamKind[], min: number | undefined): ParamKind[][] {
  const lo = min ?? params.length;
  const out: ParamKind[][] = [];
  for (let n = lo; n <= params.length; n++) out.push(params.slice(0, n));
  return out;
}

const SIGNATURES = new Map(KAMAILIO_FUNCTIONS.map((s) => [s.name, s]));

export class ScriptRegistry<Ctx> {
  private readonly modules = new Map<string, ModuleDef>();
  private readonly functions = new Map<string, FunctionDef<Ctx>>();
  private readonly pvs = new Map<string, PvDef<Ctx>>();
  private readonly transforms = new Map<string, TransformDef>();

  registerModule(def: ModuleDef): this {
    const prev = this.modules.get(def.name);
    const params = def.params ?? prev?.params ?? KAMAILIO_MODPARAMS[def.name] ?? {};
    this.modules.set(def.name, { ...def, params });
    return this;
  }

  /** Later registrations replace earlier ones (so the core can override built-ins). */
  registerFunction(def: FunctionDef<Ctx>): this {
    if (!def.exec && !def.build) throw new Error(`registerFunction(${def.name}): exec or build is required`);
    if (!def.params && !def.variants && !SIGNATURES.has(def.name)) {
      throw new Error(
        `registerFunction(${def.name}): params are required for functions unknown to the signature table`,
      );
    }
    this.functions.set(def.name, def);
    return this;
  }

  registerPv(def: PvDef<Ctx>): this {
    this.pvs.set(def.name, def);
    return this;
  }

  registerTransform(def: TransformDef): this {
    this.transforms.set(def.name, def);
    return this;
  }

  module(name: string): ModuleDef | undefined {
    return this.modules.get(name);
  }

  /** Modules with a real implementation (registered, or owning a registered function/PV). */
  isImplementedModule(name: string): boolean {
    if (this.modules.has(name)) return true;
    for (const f of this.functions.values()) if (this.resolveModule(f) === name) return true;
    for (const p of this.pvs.values()) if (p.module === name) return true;
    return false;
  }

  private resolveModule(def: FunctionDef<Ctx>): string | null {
    if (def.module !== undefined) return def.module;
    return SIGNATURES.get(def.name)?.module ?? null;
  }

  /** Function by name: registered, or known only from the signature table (def null). */
  func(name: string): ResolvedFunction<Ctx> | undefined {
    const def = this.functions.get(name);
    const sig = SIGNATURES.get(name);
    if (!def) {
      if (!sig) return undefined;
      return { name, module: sig.module, variants: sig.variants, routes: sig.routes, def: null };
    }
    const variants = def.variants ?? (def.params ? expandParams(def.params, def.min) : sig!.variants);
    return {
      name,
      module: this.resolveModule(def),
      variants,
      routes: def.routes ?? sig?.routes ?? RouteType.ANY,
      def,
    };
  }

  pv(name: string): PvDef<Ctx> | undefined {
    return this.pvs.get(name);
  }

  transform(name: string): TransformDef | undefined {
    return this.transforms.get(name);
  }
}
