/**
 * A module's parameters, declared once — Kamailio's param_export_t: the names and kinds
 * the cfg engine accepts under modparam("module", …), and how their values become the
 * module's typed settings. A module may export several tables (the dispatcher's own, and
 * the db, cluster and health tables of dsd's backends, all under modparam("dispatcher",
 * …)); the daemon's config loader reads every table the same way and knows none of them.
 */
import { DsdError } from './errors';

/** `any`: the module takes an int or a string. */
export type ParamKind = 'int' | 'str' | 'any';

export interface ModParamValue {
  readonly name: string;
  readonly value: string | number;
}

export interface ParamExport<T> {
  /** modparam's first argument. */
  readonly module: string;
  /** Every name of the table, with its kind (the cfg engine type-checks values against it). */
  readonly kinds: Readonly<Record<string, ParamKind>>;
  /**
   * The settings from the module's modparam lines: only this table's names, in file
   * order (the last value wins, as in Kamailio); none when the module is not loaded.
   * `dir` is the cfg file's folder, for relative paths. Throws an error whose `param`
   * names the bad parameter.
   */
  read(params: readonly ModParamValue[], dir: string): T;
}

/** `table`'s settings from every modparam of its module (names of other tables left out). */
export function readParams<T>(table: ParamExport<T>, params: readonly ModParamValue[], dir: string): T {
  return table.read(
    params.filter((p) => Object.prototype.hasOwnProperty.call(table.kinds, p.name)),
    dir,
  );
}

/** The kinds of several tables of one module, for the cfg engine's module declaration. */
export function kindsOf(tables: ReadonlyArray<ParamExport<unknown>>): Record<string, ParamKind> {
  const out: Record<string, ParamKind> = {};
  for (const t of tables) {
    for (const [name, kind] of Object.entries(t.kinds)) {
      if (Object.prototype.hasOwnProperty.call(out, name)) {
        throw new DsdError('DSD_ERR_DUPLICATE_PARAM', `modparam("${t.module}", "${name}") declared twice`);
      }
      out[name] = kind;
    }
  }
  return out;
}

/** A bad modparam value: `param` names it, so the config loader can point at its line. */
export class ModParamError extends DsdError {
  constructor(
    readonly module: string,
    readonly param: string,
    reason: string,
  ) {
    super('DSD_ERR_PARAM', `modparam("${module}", "${param}"): ${reason}`);
  }
}

/** The last value of each name (a later modparam line overrides an earlier one, as in Kamailio). */
export function lastValues(params: readonly ModParamValue[]): Map<string, string | number> {
  return new Map(params.map((p) => [p.name, p.value]));
}
