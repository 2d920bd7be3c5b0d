// loadmodule and modparam. A registered module (or one whose functions/PVs are
// registered) is real; any other Kamailio module is accepted with one warning;
// a name Kamailio does not have is an error. modparam values are type-checked
// against the module's declared parameters, like Kamailio's set_mod_param_regex().
import type { LoadModule, ModParam } from './ast';
import type { Diagnostics, SourcePos } from './errors';
import { KAMAILIO_MODPARAMS } from './kamailio-signatures';
import { KAMAILIO_MODULES, moduleNameFromSpec } from './kamailio-modules';
import type { ModParamType } from './param-kinds';
import type { ScriptRegistry } from './registry';

export interface ModuleParamValue {
  readonly name: string;
  readonly value: string | number;
  readonly pos: SourcePos;
}

export class LoadedModule {
  readonly params: ModuleParamValue[] = [];

  constructor(
    readonly name: string,
    /** false for Kamailio modules dsd does not implement (loaded for compatibility only). */
    readonly implemented: boolean,
    readonly pos: SourcePos,
  ) {}

  /** Last value set for a parameter, or undefined. */
  param(name: string): string | number | undefined {
    for (let i = this.params.length - 1; i >= 0; i--) {
      const p = this.params[i];
      if (p?.name === name) return p.value;
    }
    return undefined;
  }

  /** Every value set for a parameter, in file order (for repeatable ones). */
  paramAll(name: string): Array<string | number> {
    return this.params.filter((p) => p.name === name).map((p) => p.value);
  }
}

const REGEX_META = /[|*+?()[\]^$.{}\\]/;

export function loadModules<Ctx>(
  stmts: ReadonlyArray<{ k: 'load'; v: LoadModule } | { k: 'param'; v: ModParam }>,
  registry: ScriptRegistry<Ctx>,
  diag: Diagnostics,
): Map<string, LoadedModule> {
  const loaded = new Map<string, LoadedModule>();
  for (const s of stmts) {
    if (s.k === 'load') load(s.v, registry, diag, loaded);
    else modparam(s.v, registry, diag, loaded);
  }
  return loaded;
}

function load<Ctx>(
  l: LoadModule,
  registry: ScriptRegistry<Ctx>,
  diag: Diagnostics,
  loaded: Map<string, LoadedModule>,
): void {
  const name = moduleNameFromSpec(l.spec);
  if (loaded.has(name)) {
    diag.warn(l.pos, `module '${name}' is already loaded`);
    return;
  }
  if (registry.isImplementedModule(name)) {
    loaded.set(name, new LoadedModule(name, true, l.pos));
    return;
  }
  if (KAMAILIO_MODULES.has(name)) {
    loaded.set(name, new LoadedModule(name, false, l.pos));
    diag.warnOnce(`module:${name}`, l.pos, `module '${name}' has no effect in dsd (loaded for compatibility)`);
    return;
  }
  diag.error(l.pos, `unknown module '${l.spec}' (not a Kamailio module)`);
}

function typeName(t: ModParamType): string {
  return t === 'int' ? 'an integer' : t === 'str' ? 'a string' : 'a value';
}

function modparam<Ctx>(
  p: ModParam,
  registry: ScriptRegistry<Ctx>,
  diag: Diagnostics,
  loaded: Map<string, LoadedModule>,
): void {
  let matches: LoadedModule[];
  if (REGEX_META.test(p.module)) {
    let re: RegExp;
    try {
      re = new RegExp(`^(${p.module})$`, 'i');
    } catch {
      diag.error(p.pos, `modparam: invalid module regular expression "${p.module}"`);
      return;
    }
    matches = [...loaded.values()].filter((m) => re.test(m.name));
  } else {
    const m = [...loaded.values()].find((x) => x.name.toLowerCase() === p.module.toLowerCase());
    matches = m ? [m] : [];
  }
  if (matches.length === 0) {
    diag.error(
      p.pos,
      `modparam("${p.module}", "${p.name}"): no loaded module matches "${p.module}" (missing loadmodule before it?)`,
    );
    return;
  }
  for (const m of matches) {
    const def = registry.module(m.name);
    const types = def?.params ?? KAMAILIO_MODPARAMS[m.name];
    if (types !== undefined && (m.implemented || KAMAILIO_MODPARAMS[m.name] !== undefined)) {
      const t = types[p.name];
      if (t === undefined) {
        diag.error(p.pos, `modparam("${p.module}", "${p.name}"): module '${m.name}' has no parameter '${p.name}'`);
        continue;
      }
      const got = typeof p.value === 'number' ? 'int' : 'str';
      if (t !== 'any' && t !== got) {
        diag.error(
          p.valuePos,
          `modparam("${p.module}", "${p.name}"): expects ${typeName(t)}, got ${got === 'int' ? `the integer ${p.value}` : `the string "${p.value}"`}`,
        );
        continue;
      }
    }
    if (def?.onParam) {
      const msg = def.onParam(p.name, p.value, p.valuePos);
      if (typeof msg === 'string') {
        diag.error(p.valuePos, `modparam("${p.module}", "${p.name}"): ${msg}`);
        continue;
      }
    }
    m.params.push({ name: p.name, value: p.value, pos: p.valuePos });
  }
}
