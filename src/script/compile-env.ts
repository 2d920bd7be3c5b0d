// State shared by the statement/expression/call compilers: registries, host,
// diagnostics, route tables, flags, script variables, and pseudo-variable and
// format-string compilation (references are resolved once, at load time).
import { CompileAbort, Diagnostics, SourcePos } from './errors';
import type { ScriptHost } from './host';
import type { LoadedModule } from './modules-load';
import { parseFormat, parsePvText, PvSyntax, PvSyntaxError } from './pv-syntax';
import type { PvDef, PvParseApi, PvRef, ScriptRegistry } from './registry';
import type { RouteKind } from './ast';
import { KAMAILIO_PVS } from './kamailio-signatures';
import { toFmt, type Val } from './values';
import type { RunState } from './run-state';

/** Control flags of one script run (Kamailio run_flags). */
export const F_EXIT = 1;
export const F_DROP = 2;
export const F_RETURN = 4;
export const F_BREAK = 8;

export type St<Ctx> = (ctx: Ctx, rs: RunState) => number | Promise<number>;
export type Getter<Ctx, T> = (ctx: Ctx, rs: RunState) => T;

/** Internal pseudo-variable reference: the public PvRef plus a run-state-aware getter. */
export interface PvHandle<Ctx> extends PvRef<Ctx> {
  readonly read: Getter<Ctx, Val>;
  readonly isNull: boolean;
}

export interface RouteHolder<Ctx> {
  readonly kind: RouteKind;
  readonly name: string | null;
  readonly pos: SourcePos;
  fn: St<Ctx> | null;
}

export interface CompileOptionsCore {
  /** Functions known only from the signature table: refuse them (default) or accept as no-ops returning 1. */
  readonly stubs?: 'error' | 'accept';
}

export class CompileEnv<Ctx> {
  blockType = 1;
  blockName = 'request_route';
  readonly flagNames = new Map<string, number>();
  readonly vars: Val[] = [];
  private readonly varSlots = new Map<string, number>();
  readonly routes = {
    request: null as RouteHolder<Ctx> | null,
    named: new Map<string, RouteHolder<Ctx>>(),
    failure: new Map<string, RouteHolder<Ctx>>(),
    onreply: new Map<string, RouteHolder<Ctx>>(),
    onreplyCore: null as RouteHolder<Ctx> | null,
    branch: new Map<string, RouteHolder<Ctx>>(),
    event: new Map<string, RouteHolder<Ctx>>(),
    onsend: new Map<string, RouteHolder<Ctx>>(),
  };
  maxWhileLoops = 100;
  maxRecursiveLevel = 256;

  constructor(
    readonly registry: ScriptRegistry<Ctx>,
    readonly host: ScriptHost<Ctx>,
    readonly diag: Diagnostics,
    readonly modules: ReadonlyMap<string, LoadedModule>,
    readonly options: CompileOptionsCore,
    /** false for checkConfig without a core: `myself` cannot be verified but is accepted. */
    readonly hostIsReal: boolean,
  ) {}

  /** Record an error and abandon the construct being compiled. */
  fail(pos: SourcePos, msg: string): never {
    this.diag.error(pos, msg);
    throw new CompileAbort();
  }

  isLoaded(module: string): boolean {
    return this.modules.has(module);
  }

  varSlot(name: string): number {
    let s = this.varSlots.get(name);
    if (s === undefined) {
      s = this.vars.length;
      this.vars.push(0);
      this.varSlots.set(name, s);
    }
    return s;
  }

  /** Compile a pseudo-variable reference written as text ("$var(x)"); throws CompileAbort. */
  pv(text: string, pos: SourcePos): PvHandle<Ctx> {
    let syn: PvSyntax;
    try {
      syn = parsePvText(text);
    } catch (e) {
      return this.fail(pos, e instanceof PvSyntaxError ? e.message : String(e));
    }
    return this.pvFromSyntax(syn, pos);
  }

  pvFromSyntax(syn: PvSyntax, pos: SourcePos, ignoreModule = false): PvHandle<Ctx> {
    const name = syn.name;
    if (name === '$') return constPv('$$', '$');
    if (name === 'null' && syn.inner === null) return { ...constPv(syn.text, null), isNull: true };
    if ((name === 'rc' || name === 'retcode' || name === '?') && syn.inner === null) {
      const read: Getter<Ctx, Val> = (_ctx, rs) => (rs ? rs.lastRet : 0);
      return {
        text: syn.text,
        read,
        get: (ctx) => read(ctx, undefined as unknown as RunState),
        set: null,
        isNull: false,
      };
    }
    const def = this.registry.pv(name) as PvDef<Ctx> | undefined;
    if (!def) return this.unimplementedPv(syn, pos, ignoreModule);
    if (def.module && !ignoreModule && !this.isLoaded(def.module)) {
      return this.fail(pos, `pseudo-variable $${name} needs loadmodule "${def.module}.so"`);
    }
    if (def.parse && syn.inner === null) return this.fail(pos, `pseudo-variable $${name} needs a name: $${name}(...)`);
    if (!def.parse && syn.inner !== null) return this.fail(pos, `pseudo-variable $${name} does not take a name`);
    if (syn.index !== null && !def.indexed) return this.fail(pos, `pseudo-variable $${name} does not take an index`);
    let param: unknown = undefined;
    if (def.parse) {
      try {
        param = def.parse(syn.inner as string, this.pvApi(syn.index, pos));
      } catch (e) {
        if (e instanceof CompileAbort) throw e;
        return this.fail(pos, `invalid name in ${syn.text}: ${(e as Error).message}`);
      }
    }
    const get = def.get;
    let read: Getter<Ctx, Val> = (ctx) => get(ctx, param);
    let settable = def.set !== undefined;
    if (syn.transforms.length > 0) {
      const trs = syn.transforms.map((t) => this.transform(t, pos));
      const base = read;
      read = (ctx, rs) => {
        let v = base(ctx, rs);
        for (const tr of trs) v = tr(v);
        return v;
      };
      settable = false;
    }
    const setf = def.set;
    const r = read;
    return {
      text: syn.text,
      read,
      get: (ctx) => r(ctx, undefined as unknown as RunState),
      set: settable && setf ? (ctx, v) => setf(ctx, param, v) : null,
      isNull: false,
    };
  }

  /** A Kamailio variable no one registered: error, or an inert stub when stubs are accepted. */
  private unimplementedPv(syn: PvSyntax, pos: SourcePos, ignoreModule: boolean): PvHandle<Ctx> {
    const sig = KAMAILIO_PVS.get(syn.name);
    if (!sig) {
      const noop = [...this.modules.values()].filter((m) => !m.implemented).map((m) => m.name);
      const hint = noop.length > 0 ? ` (or provided by a module dsd does not implement: ${noop.join(', ')})` : '';
      return this.fail(pos, `unknown pseudo-variable $${syn.name}${hint}`);
    }
    if (sig.module && !ignoreModule && !this.isLoaded(sig.module)) {
      return this.fail(pos, `pseudo-variable $${syn.name} needs loadmodule "${sig.module}.so"`);
    }
    if (sig.inner !== (syn.inner !== null)) {
      return this.fail(
        pos,
        sig.inner
          ? `pseudo-variable $${syn.name} needs a name: $${syn.name}(...)`
          : `pseudo-variable $${syn.name} does not take a name`,
      );
    }
    if (this.options.stubs !== 'accept')
      return this.fail(pos, `pseudo-variable $${syn.name} is not implemented by dsd`);
    this.diag.warnOnce(
      `stubpv:${syn.name}`,
      pos,
      `pseudo-variable $${syn.name} is not implemented by dsd yet; it reads as $null`,
    );
    return {
      text: syn.text,
      read: () => null,
      get: () => null,
      set: sig.writable ? () => undefined : null,
      isNull: false,
    };
  }

  pvApi(index: string | null, pos: SourcePos): PvParseApi<Ctx> {
    return {
      index,
      parsePv: (t) => this.pv(t, pos),
      host: this.host,
      varSlot: (n) => this.varSlot(n),
      vars: this.vars,
    };
  }

  private transform(body: string, pos: SourcePos): (v: Val) => Val {
    const [first = '', ...rest] = body.split(',');
    const name = first.trim();
    const def = this.registry.transform(name);
    if (!def) return this.fail(pos, `unknown transformation {${body}}`);
    try {
      return def.compile(rest);
    } catch (e) {
      return this.fail(pos, `invalid transformation {${body}}: ${(e as Error).message}`);
    }
  }

  /** Compile a format string: constant text, or a getter that expands references per call. */
  format(s: string, pos: SourcePos): { isStatic: true; value: string } | { isStatic: false; get: Getter<Ctx, string> } {
    let parts;
    try {
      parts = parseFormat(s);
    } catch (e) {
      return this.fail(pos, `${(e as Error).message}`);
    }
    if (parts.every((p) => typeof p === 'string')) return { isStatic: true, value: parts.join('') };
    const items = parts.map((p) => (typeof p === 'string' ? p : this.pvFromSyntax(p, pos).read));
    const [a, b] = items;
    if (items.length === 1 && a !== undefined && typeof a !== 'string') {
      const g = a;
      return { isStatic: false, get: (ctx, rs) => toFmt(g(ctx, rs)) };
    }
    if (items.length === 2 && a !== undefined && b !== undefined) {
      if (typeof a === 'string' && typeof b !== 'string')
        return { isStatic: false, get: (ctx, rs) => a + toFmt(b(ctx, rs)) };
      if (typeof a !== 'string' && typeof b === 'string')
        return { isStatic: false, get: (ctx, rs) => toFmt(a(ctx, rs)) + b };
    }
    return {
      isStatic: false,
      get: (ctx, rs) => {
        let out = '';
        for (const it of items) {
          out += typeof it === 'string' ? it : toFmt(it(ctx, rs));
        }
        return out;
      },
    };
  }
}

function constPv<Ctx>(text: string, v: Val): PvHandle<Ctx> {
  return { text, read: () => v, get: () => v, set: null, isNull: false };
}
