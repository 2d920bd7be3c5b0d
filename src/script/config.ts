// Entry points: compile a kamailio.cfg-language file into globals, loaded
// modules and a runnable Script, or only check it and collect every problem.
import * as path from 'node:path';
import type { ConfigAst, RouteDecl } from './ast';
import { CompileEnv, type RouteHolder } from './compile-env';
import { StmtCompiler } from './compile-stmt';
import { CompileAbort, ConfigError, ConfigErrors, Diagnostics, sortDiagnostics } from './errors';
import { buildGlobals, type Globals } from './globals';
import type { ScriptHost } from './host';
import { loadModules, type LoadedModule } from './modules-load';
import { ConfigParser } from './parse-config';
import { Preprocessor } from './preprocessor';
import type { ScriptRegistry } from './registry';
import { RouteType } from './route-types';
import { Script } from './script';
import { MessageStore } from './store';
import type { Val } from './values';

export interface CompileOptions<Ctx> {
  readonly registry: ScriptRegistry<Ctx>;
  /** Run-time services of the core. Optional for checks; without it `myself` is not verified. */
  readonly host?: ScriptHost<Ctx>;
  /** Like `kamailio -A NAME[=value]`. */
  readonly defines?: Readonly<Record<string, string | true>>;
  /** Functions known only from the signature table: 'error' (default) or 'accept' as no-ops. */
  readonly stubs?: 'error' | 'accept';
  /** File reader (tests); defaults to the filesystem. */
  readonly readFile?: (file: string) => string | null;
}

export interface CompiledConfig<Ctx> {
  readonly file: string;
  /** Directory of the main config file (base for relative paths such as list_file). */
  readonly dir: string;
  readonly globals: Globals;
  readonly modules: ReadonlyMap<string, LoadedModule>;
  readonly script: Script<Ctx>;
  readonly routes: Script<Ctx>['routes'];
  readonly defines: ReadonlyMap<string, string>;
  readonly warnings: readonly ConfigError[];
  /**
   * Compiles a format string with pseudo-variables (e.g. a modparam such as the
   * dispatcher's hash_pvar "$fU@$fd") against this config's registries; throws on a
   * syntax error or an unknown variable.
   */
  compileFormat(text: string): (ctx: Ctx) => string;
  /** Compiles one pseudo-variable ("$fU") read per call as its value ($null as null); throws like compileFormat. */
  compilePv(text: string): (ctx: Ctx) => Val;
}

export interface CheckResult {
  readonly errors: readonly ConfigError[];
  readonly warnings: readonly ConfigError[];
}

/** A host used when none is given: flags and storage are kept on a side table. */
function inertHost<Ctx>(): ScriptHost<Ctx> {
  const flags = new WeakMap<object, number>();
  const stores = new WeakMap<object, MessageStore>();
  return {
    getFlags: (ctx) => flags.get(ctx as unknown as object) ?? 0,
    setFlags: (ctx, f) => void flags.set(ctx as unknown as object, f),
    store: (ctx) => {
      const k = ctx as unknown as object;
      let s = stores.get(k);
      if (!s) stores.set(k, (s = new MessageStore()));
      return s;
    },
    log: () => undefined,
  };
}

interface Outcome<Ctx> {
  diag: Diagnostics;
  files: string[];
  result: Omit<CompiledConfig<Ctx>, 'warnings'>;
}

function run<Ctx>(file: string, text: string | null, opts: CompileOptions<Ctx>): Outcome<Ctx> {
  const diag = new Diagnostics();
  const pp = new Preprocessor(diag, { defines: opts.defines, readFile: opts.readFile });
  const pre = text === null ? pp.run(file) : pp.runText(text, file);
  const ast = new ConfigParser(pre.tokens, diag, file).parse();
  const globals = buildGlobals(ast.globals, diag);
  if (ast.mpath !== null) globals.mpath = ast.mpath;
  const modules = loadModules(ast.moduleStmts, opts.registry, diag);
  const host = opts.host ?? inertHost<Ctx>();
  const env = new CompileEnv<Ctx>(opts.registry, host, diag, modules, { stubs: opts.stubs }, opts.host !== undefined);
  env.maxWhileLoops = globals.maxWhileLoops;
  env.maxRecursiveLevel = globals.maxRecursiveLevel;
  declareFlags(ast, env);
  compileRoutes(ast, env);
  const script = new Script<Ctx>(env.routes);
  const defines = new Map<string, string>();
  for (const [k, v] of pre.defines) defines.set(k, v.value);
  return {
    diag,
    files: pre.files,
    result: {
      file,
      dir: path.dirname(path.resolve(file)),
      globals,
      modules,
      script,
      routes: script.routes,
      defines,
      compileFormat: (text: string) => compileFormat(env, text, file),
      compilePv: (text: string) => compilePv(env, text, file),
    },
  };
}

function compileFormat<Ctx>(env: CompileEnv<Ctx>, text: string, file: string): (ctx: Ctx) => string {
  const before = env.diag.errors.length;
  let f: ReturnType<CompileEnv<Ctx>['format']>;
  try {
    f = env.format(text, { file, line: 0, col: 0 });
  } catch (e) {
    throw new Error(`bad format string "${text}": ${(e as Error).message}`);
  }
  if (env.diag.errors.length > before) {
    const msg = env.diag.errors.at(-1)?.message;
    env.diag.errors.length = before;
    throw new Error(`bad format string "${text}": ${msg}`);
  }
  if (f.isStatic) {
    const v = f.value;
    return () => v;
  }
  const get = f.get;
  const rs = { flags: 0, lastRet: 1, depth: 0 };
  return (ctx) => get(ctx, rs);
}

function compilePv<Ctx>(env: CompileEnv<Ctx>, text: string, file: string): (ctx: Ctx) => Val {
  const before = env.diag.errors.length;
  let h: ReturnType<CompileEnv<Ctx>['pv']> | null = null;
  try {
    h = env.pv(text.trim(), { file, line: 0, col: 0 });
  } catch (e) {
    if (!(e instanceof CompileAbort)) throw new Error(`bad pseudo-variable "${text}": ${(e as Error).message}`);
  }
  if (env.diag.errors.length > before || !h) {
    const msg = env.diag.errors[env.diag.errors.length - 1]?.message ?? 'not a pseudo-variable';
    env.diag.errors.length = before;
    throw new Error(`bad pseudo-variable "${text}": ${msg}`);
  }
  const read = h.read;
  const rs = { flags: 0, lastRet: 1, depth: 0 };
  return (ctx) => read(ctx, rs);
}

function declareFlags<Ctx>(ast: ConfigAst, env: CompileEnv<Ctx>): void {
  const used = new Set<number>();
  for (const f of ast.flags) {
    if (f.bit !== null && used.has(f.bit)) env.diag.error(f.pos, `flag bit ${f.bit} is already declared`);
  }
  for (const f of ast.flags) {
    if (env.flagNames.has(f.name)) {
      env.diag.error(f.pos, `flag '${f.name}' declared twice`);
      continue;
    }
    let bit = f.bit;
    if (bit === null) {
      bit = 0;
      while (used.has(bit) || ast.flags.some((g) => g.bit === bit)) bit++;
    }
    if (bit < 0 || bit > 31) {
      env.diag.error(f.pos, `flag '${f.name}': bad flag number ${bit} (0..31)`);
      continue;
    }
    used.add(bit);
    env.flagNames.set(f.name, bit);
  }
}

const BLOCK_TYPES: Record<RouteDecl['kind'], [number, string]> = {
  request: [RouteType.REQUEST, 'request_route'],
  route: [RouteType.REQUEST, 'route'],
  failure: [RouteType.FAILURE, 'failure_route'],
  onreply: [RouteType.TM_ONREPLY, 'onreply_route'],
  branch: [RouteType.BRANCH, 'branch_route'],
  event: [RouteType.EVENT, 'event_route'],
  onsend: [RouteType.ONSEND, 'onsend_route'],
};

function compileRoutes<Ctx>(ast: ConfigAst, env: CompileEnv<Ctx>): void {
  const R = env.routes;
  const holders: Array<[RouteDecl, RouteHolder<Ctx>]> = [];
  for (const d of ast.routes) {
    const h: RouteHolder<Ctx> = { kind: d.kind, name: d.name, pos: d.pos, fn: null };
    const dup = (prev: RouteHolder<Ctx> | null | undefined): boolean => {
      if (!prev) return false;
      env.diag.error(d.pos, `duplicate route ${d.name ?? d.kind} (first defined at line ${prev.pos.line})`);
      return true;
    };
    const key = d.name ?? '0';
    switch (d.kind) {
      case 'request':
        if (dup(R.request)) continue;
        R.request = h;
        break;
      case 'onreply':
        if (d.name === null) {
          if (dup(R.onreplyCore)) continue;
          R.onreplyCore = h;
        } else {
          if (dup(R.onreply.get(key))) continue;
          R.onreply.set(key, h);
        }
        break;
      case 'onsend':
        // every route kind the compiler takes has a runner (Script); this one has none
        env.diag.error(d.pos, 'onsend_route is not run by dsd: a route that would never run is refused');
        continue;
      default: {
        const table =
          d.kind === 'route' ? R.named : d.kind === 'failure' ? R.failure : d.kind === 'branch' ? R.branch : R.event;
        if (dup(table.get(key))) continue;
        table.set(key, h);
      }
    }
    holders.push([d, h]);
  }
  const sc = new StmtCompiler(env);
  for (const [d, h] of holders) {
    const [type, label] = BLOCK_TYPES[d.kind];
    env.blockType = d.kind === 'onreply' && d.name === null ? RouteType.CORE_ONREPLY : type;
    env.blockName = d.kind === 'onreply' && d.name === null ? 'onreply_route' : label;
    h.fn = sc.list(d.body);
  }
}

function finish<Ctx>(o: Outcome<Ctx>): { errors: ConfigError[]; warnings: ConfigError[] } {
  return {
    errors: sortDiagnostics(o.diag.errors, o.files),
    warnings: sortDiagnostics(o.diag.warnings, o.files),
  };
}

/** Compile a config file; throws ConfigErrors listing every error found. */
export function compileConfig<Ctx>(file: string, opts: CompileOptions<Ctx>): CompiledConfig<Ctx> {
  const o = run(file, null, opts);
  const { errors, warnings } = finish(o);
  if (errors.length > 0) throw new ConfigErrors(errors, warnings);
  return { ...o.result, warnings };
}

/** Compile config text held in memory (file is used for positions and relative includes). */
export function compileConfigText<Ctx>(text: string, file: string, opts: CompileOptions<Ctx>): CompiledConfig<Ctx> {
  const o = run(file, text, opts);
  const { errors, warnings } = finish(o);
  if (errors.length > 0) throw new ConfigErrors(errors, warnings);
  return { ...o.result, warnings };
}

/** `dsd -c`: every error and warning, sorted by position; never throws for config problems. */
export function checkConfig<Ctx>(
  file: string,
  registry: ScriptRegistry<Ctx>,
  opts: Omit<CompileOptions<Ctx>, 'registry'> = {},
): CheckResult {
  return finish(run(file, null, { ...opts, registry }));
}

export function checkConfigText<Ctx>(
  text: string,
  file: string,
  registry: ScriptRegistry<Ctx>,
  opts: Omit<CompileOptions<Ctx>, 'registry'> = {},
): CheckResult {
  return finish(run(file, text, { ...opts, registry }));
}
