// Function arguments by parameter kind, mirroring Kamailio's fixups: constants
// are converted once at load; pseudo-variables and format strings become
// per-call getters; route names must name an existing block.
import type { Expr } from './ast';
import type { CompileEnv, Getter, PvHandle } from './compile-env';
import type { ExprCompiler } from './compile-expr';
import type { SourcePos } from './errors';
import { parsePvText } from './pv-syntax';
import { compilePosixRegex, RegexCache, RegexError } from './regex';
import type { ParamKind } from './param-kinds';
import { toFmt, toInt, toStr, type Val } from './values';

export interface CompiledArg<Ctx> {
  readonly kind: ParamKind;
  readonly isStatic: boolean;
  readonly value: unknown;
  readonly get: Getter<Ctx, unknown>;
  readonly pos: SourcePos;
}

const INT_RE = /^[+-]?(\d+|0[xX][0-9a-fA-F]+)$/;

function isWholePv(s: string): boolean {
  if (!s.startsWith('$')) return false;
  try {
    parsePvText(s);
    return true;
  } catch {
    return false;
  }
}

function stat<Ctx>(kind: ParamKind, value: unknown, pos: SourcePos): CompiledArg<Ctx> {
  return { kind, isStatic: true, value, get: () => value, pos };
}

function dyn<Ctx>(kind: ParamKind, get: Getter<Ctx, unknown>, pos: SourcePos): CompiledArg<Ctx> {
  return { kind, isStatic: false, value: undefined, get, pos };
}

function hasCall(e: Expr): boolean {
  switch (e.k) {
    case 'call':
      return true;
    case 'un':
      return hasCall(e.e);
    case 'bin':
      return hasCall(e.l) || hasCall(e.r);
    case 'selval':
      return hasCall(e.c) || hasCall(e.a) || hasCall(e.b);
    case 'kw':
      return e.r.k !== 'myself' && e.r.k !== 'net' && hasCall(e.r as Expr);
    default:
      return false;
  }
}

export function compileArg<Ctx>(
  env: CompileEnv<Ctx>,
  exprs: ExprCompiler<Ctx>,
  kind: ParamKind,
  e: Expr,
  fname: string,
): CompiledArg<Ctx> {
  const pos = e.pos;
  if (hasCall(e)) return env.fail(pos, `${fname}(): function calls are not allowed as arguments`);
  const constText = e.k === 'str' ? e.v : e.k === 'num' ? String(e.v) : null;
  switch (kind) {
    case 'route':
    case 'failure_route':
    case 'onreply_route':
    case 'branch_route':
    case 'event_route': {
      const name = e.k === 'id' ? e.name : constText;
      if (name === null) return env.fail(pos, `${fname}(): the route name must be a constant`);
      const table =
        kind === 'route'
          ? env.routes.named
          : kind === 'failure_route'
            ? env.routes.failure
            : kind === 'onreply_route'
              ? env.routes.onreply
              : kind === 'branch_route'
                ? env.routes.branch
                : env.routes.event;
      const label = kind === 'route' ? 'route' : kind;
      if (!table.has(name)) return env.fail(pos, `${fname}("${name}"): ${label}[${name}] is not defined`);
      return stat(kind, name, pos);
    }
    case 'flag': {
      let bit: number | undefined;
      if (e.k === 'num') bit = e.v;
      else if (e.k === 'id' || e.k === 'str') {
        const name = e.k === 'id' ? e.name : e.v;
        bit = env.flagNames.get(name);
        if (bit === undefined && e.k === 'str' && INT_RE.test(e.v)) bit = toInt(e.v);
        if (bit === undefined)
          return env.fail(pos, `${fname}(${name}): flag '${name}' is not declared (flags NAME:bit, or #!define it)`);
      } else {
        return env.fail(pos, `${fname}(): the flag must be a number or a declared flag name`);
      }
      if (bit < 0 || bit > 31) return env.fail(pos, `${fname}(${bit}): bad flag value (0..31)`);
      return stat(kind, bit, pos);
    }
    default:
      break;
  }
  if (e.k === 'id') {
    return env.fail(
      pos,
      `${fname}(): unexpected identifier '${e.name}' as argument (undefined #!define or missing quotes?)`,
    );
  }
  switch (kind) {
    case 'int': {
      if (constText !== null && INT_RE.test(constText)) return stat(kind, toInt(constText), pos);
      return env.fail(
        pos,
        `${fname}(): argument must be a constant integer${constText !== null ? `, got "${constText}"` : ''}`,
      );
    }
    case 'str':
      if (constText !== null) return stat(kind, constText, pos);
      return env.fail(pos, `${fname}(): argument must be a constant string`);
    case 'fmt': {
      if (e.k === 'str') {
        const f = env.format(e.v, pos);
        return f.isStatic ? stat(kind, f.value, pos) : dyn(kind, f.get, pos);
      }
      if (e.k === 'num') return stat(kind, String(e.v), pos);
      const c = exprs.compile(e);
      if (c.konst) return stat(kind, toStr(c.konst.v), pos);
      const g = c.ev as Getter<Ctx, Val>;
      return dyn(kind, e.k === 'pv' ? (ctx, rs) => toFmt(g(ctx, rs)) : (ctx, rs) => toStr(g(ctx, rs)), pos);
    }
    case 'igp': {
      if (e.k === 'str' && isWholePv(e.v)) {
        const h = env.pv(e.v, pos);
        const r = h.read;
        return dyn(kind, (ctx, rs) => toInt(r(ctx, rs)), pos);
      }
      if (constText !== null) {
        if (!INT_RE.test(constText))
          return env.fail(pos, `${fname}(): expected an integer or a pseudo-variable, got "${constText}"`);
        return stat(kind, toInt(constText), pos);
      }
      const c = exprs.compile(e);
      if (c.konst) return stat(kind, toInt(c.konst.v), pos);
      const g = c.ev as Getter<Ctx, Val>;
      return dyn(kind, (ctx, rs) => toInt(g(ctx, rs)), pos);
    }
    case 'sgp': {
      if (e.k === 'str' && isWholePv(e.v)) {
        const r = env.pv(e.v, pos).read;
        return dyn(kind, (ctx, rs) => toStr(r(ctx, rs)), pos);
      }
      if (constText !== null) return stat(kind, constText, pos); // "$" inside text is literal
      const c = exprs.compile(e);
      if (c.konst) return stat(kind, toStr(c.konst.v), pos);
      const g = c.ev as Getter<Ctx, Val>;
      return dyn(kind, (ctx, rs) => toStr(g(ctx, rs)), pos);
    }
    case 'pv':
    case 'pvw': {
      const text = e.k === 'pv' ? e.text : e.k === 'str' && isWholePv(e.v) ? e.v : null;
      if (text === null) return env.fail(pos, `${fname}(): argument must be a pseudo-variable`);
      const h: PvHandle<Ctx> = env.pv(text, pos);
      if (kind === 'pvw' && h.set === null) return env.fail(pos, `${fname}(): ${text} is read-only`);
      return stat(kind, h, pos);
    }
    case 'regex': {
      const src = e.k === 'str' && !isWholePv(e.v) ? e.v : e.k === 'num' ? String(e.v) : null;
      if (src !== null) {
        try {
          return stat(kind, compilePosixRegex(src), pos);
        } catch (err) {
          if (err instanceof RegexError) return env.fail(pos, `${fname}(): ${err.message}`);
          throw err;
        }
      }
      const c = e.k === 'str' ? null : exprs.compile(e);
      const g: Getter<Ctx, Val> = c ? (c.ev as Getter<Ctx, Val>) : env.pv((e as { v: string }).v, pos).read;
      const cache = new RegexCache();
      const never = /$^/;
      return dyn(kind, (ctx, rs) => cache.get(toStr(g(ctx, rs))) ?? never, pos);
    }
    case 'any': {
      const c = exprs.compile(e);
      if (c.konst) return stat(kind, c.konst.v, pos);
      return dyn(kind, c.ev as Getter<Ctx, Val>, pos);
    }
    default:
      return env.fail(pos, `${fname}(): unsupported parameter kind ${kind}`);
  }
}
