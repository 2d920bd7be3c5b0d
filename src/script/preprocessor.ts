// Preprocessor: #!define/#!ifdef/#!subst..., include_file/import_file and define
// expansion, producing one flat token list whose positions point at the original
// files. Works like Kamailio's lexer-level preprocessor: defines are expanded
// only where an identifier token appears, and their values are lexed again.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Diagnostics, SourcePos } from './errors';
import { Scanner } from './lexer';
import type { Token } from './tokens';

export interface Define {
  readonly value: string;
  readonly pos: SourcePos | null;
}

interface IfFrame {
  readonly pos: SourcePos;
  /** This branch is being kept. */
  active: boolean;
  /** Some enclosing frame is skipping. */
  readonly parentSkipping: boolean;
  seenElse: boolean;
  /** The #!ifdef condition held (used by #!else). */
  readonly cond: boolean;
}

interface SubstRule {
  readonly re: RegExp;
  readonly repl: string;
}

export interface PreprocessResult {
  readonly tokens: Token[];
  readonly defines: Map<string, Define>;
  /** Every file read, in order (main file first). */
  readonly files: string[];
}

export interface PreprocessOptions {
  /** Command-line style defines (NAME or NAME=value), applied before the file. */
  readonly defines?: Readonly<Record<string, string | true>>;
  /** Read a file; defaults to fs.readFileSync. Returns null when missing. */
  readonly readFile?: (file: string) => string | null;
}

const MAX_INCLUDE_DEPTH = 10;
const MAX_DEFINE_DEPTH = 32;

function defaultRead(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

export class Preprocessor {
  readonly defines = new Map<string, Define>();
  readonly files: string[] = [];
  private readonly out: Token[] = [];
  private readonly ifs: IfFrame[] = [];
  private readonly substs: SubstRule[] = [];
  private readonly expanding: string[] = [];
  private includeDepth = 0;
  private lastTok: Token | null = null;
  private readonly readFile: (file: string) => string | null;

  constructor(
    private readonly diag: Diagnostics,
    opts: PreprocessOptions = {},
  ) {
    this.readFile = opts.readFile ?? defaultRead;
    for (const d of ['DSD', 'KAMAILIO', 'KAMAILIO_5', 'KAMAILIO_5_6', 'KAMAILIO_5_6_3']) {
      this.defines.set(d, { value: '', pos: null });
    }
    for (const [k, v] of Object.entries(opts.defines ?? {})) {
      this.defines.set(k, { value: v === true ? '' : v, pos: null });
    }
  }

  /** Preprocess a file from disk. */
  run(file: string): PreprocessResult {
    const text = this.readFile(file);
    if (text === null) {
      this.diag.error({ file, line: 1, col: 1 }, `cannot open config file: ${file}`);
    } else {
      this.lexFile(text, file);
    }
    this.finish();
    return { tokens: this.out, defines: this.defines, files: this.files };
  }

  /** Preprocess text given in memory (tests, -e style use). */
  runText(text: string, file: string): PreprocessResult {
    this.lexFile(text, file);
    this.finish();
    return { tokens: this.out, defines: this.defines, files: this.files };
  }

  private finish(): void {
    for (const f of this.ifs) this.diag.error(f.pos, 'missing #!endif for this #!ifdef/#!ifndef');
    this.ifs.length = 0;
  }

  private skipping(): boolean {
    const top = this.ifs[this.ifs.length - 1];
    return top !== undefined && (!top.active || top.parentSkipping);
  }

  private lexFile(text: string, file: string): void {
    this.files.push(file);
    const sc = new Scanner(text, file, this.diag);
    while (!sc.atEnd()) {
      if (this.skipping()) {
        this.skipLine(sc);
        continue;
      }
      const lx = sc.next();
      if (lx === null) break;
      if (lx.kind === 'directive') this.directive(sc, lx.word, lx.pos);
      else if (lx.kind === 'include') this.include(sc, lx.mode, lx.pos);
      else this.emit(lx.tok);
    }
  }

  /** In a false #!ifdef branch: only the if-family directives matter. */
  private skipLine(sc: Scanner): void {
    sc.skipBlanks();
    const pos = sc.pos();
    const rest = sc.text.slice(sc.i, sc.i + 2);
    if (rest === '#!' || rest === '!!') {
      const m = /^(?:#!|!!)(ifdef|ifndef|else|endif)\b/.exec(sc.text.slice(sc.i, sc.i + 12));
      const word = m?.[1];
      if (word) {
        sc.skipChars(2 + word.length);
        this.directive(sc, word, pos);
        return;
      }
    }
    sc.readLine(false);
  }

  private emit(tok: Token): void {
    if (tok.kind === 'id' && !tok.numId) {
      const def = this.defines.get(tok.text);
      if (def !== undefined) {
        this.expand(tok, def);
        return;
      }
    }
    if (tok.kind === 'id') {
      const yes = YES_NO[tok.text];
      if (yes !== undefined) tok = { ...tok, kind: 'num', value: yes };
    }
    if (tok.kind === 'str' && this.substs.length > 0) {
      tok = { ...tok, text: this.applySubst(tok.text) };
    }
    if (
      tok.kind === 'str' &&
      this.lastTok &&
      this.lastTok.kind === 'id' &&
      (this.lastTok.text === 'loadmodule' || this.lastTok.text === 'loadmodulex')
    ) {
      // Kamailio defines MOD_<name> when a module is loaded, usable by later #!ifdef.
      const base = path.basename(tok.text).replace(/\.so$/, '');
      if (base && !this.defines.has('MOD_' + base)) this.defines.set('MOD_' + base, { value: '', pos: tok.pos });
    }
    this.out.push(tok);
    this.lastTok = tok;
  }

  private expand(idTok: Token, def: Define): void {
    if (this.expanding.includes(idTok.text) || this.expanding.length >= MAX_DEFINE_DEPTH) {
      this.diag.error(idTok.pos, `recursive #!define expansion of '${idTok.text}'`);
      return;
    }
    this.expanding.push(idTok.text);
    const sc = new Scanner(def.value, idTok.pos.file, this.diag, idTok.pos, idTok.fromDefine ?? idTok.text);
    let first = true;
    for (;;) {
      const lx = sc.next();
      if (lx === null) break;
      if (lx.kind !== 'token') {
        this.diag.error(
          idTok.pos,
          `preprocessor directives are not allowed inside the value of #!define ${idTok.text}`,
        );
        break;
      }
      const t = first ? { ...lx.tok, space: idTok.space, newline: idTok.newline } : lx.tok;
      first = false;
      this.emit(t);
    }
    this.expanding.pop();
  }

  private directive(sc: Scanner, word: string, pos: SourcePos): void {
    switch (word) {
      case 'define':
      case 'trydef':
      case 'redefine':
        return this.defineDirective(sc, word, pos);
      case 'ifdef':
      case 'ifndef':
        return this.ifDirective(sc, word === 'ifdef', pos);
      case 'else': {
        this.expectEol(sc, '#!else');
        const top = this.ifs[this.ifs.length - 1];
        if (!top) return this.diag.error(pos, '#!else without #!ifdef/#!ifndef');
        if (top.seenElse) return this.diag.error(pos, 'duplicate #!else');
        top.seenElse = true;
        top.active = !top.cond;
        return;
      }
      case 'endif':
        this.expectEol(sc, '#!endif');
        if (!this.ifs.pop()) this.diag.error(pos, '#!endif without #!ifdef/#!ifndef');
        return;
      case 'subst':
      case 'substdef':
      case 'substdefs':
        return this.substDirective(sc, word, pos);
      case 'include_file':
      case 'import_file':
        return this.include(sc, word === 'include_file' ? 'include' : 'import', pos);
      case 'defenv':
      case 'trydefenv':
      case 'defenvs':
      case 'trydefenvs':
        return this.defenvDirective(sc, word, pos);
      default:
        sc.readLine(true);
        this.diag.error(pos, `preprocessor directive '#!${word}' is not supported by dsd`);
    }
  }

  private expectEol(sc: Scanner, what: string): void {
    const rest = sc.readLine(false).trim();
    if (rest !== '' && !rest.startsWith('#') && !rest.startsWith('//')) {
      this.diag.error(sc.pos(), `unexpected text after ${what}: '${rest}'`);
    }
  }

  private defineDirective(sc: Scanner, word: string, pos: SourcePos): void {
    sc.skipBlanks();
    const name = sc.readWord();
    if (!name || /^[0-9]/.test(name)) {
      sc.readLine(true);
      return this.diag.error(pos, `#!${word} needs an identifier`);
    }
    const value = sc.readLine(true);
    if (value.startsWith('-')) {
      return this.diag.error(pos, `'-' not allowed in #!${word} name '${name}${value.split(/\s/)[0]}'`);
    }
    if (value !== '' && !/^[ \t]/.test(value)) {
      return this.diag.error(pos, `invalid character after #!${word} ${name}`);
    }
    const exists = this.defines.has(name);
    if (exists && word === 'trydef') return;
    if (exists && word === 'define') {
      return this.diag.error(pos, `'${name}' is already defined (use #!redefine or #!trydef)`);
    }
    this.defines.set(name, { value: value.trim(), pos });
  }

  private ifDirective(sc: Scanner, isIfdef: boolean, pos: SourcePos): void {
    sc.skipBlanks();
    const name = sc.readWord();
    const parentSkipping = this.skipping();
    if (!name) {
      sc.readLine(false);
      this.diag.error(pos, `#!${isIfdef ? 'ifdef' : 'ifndef'} needs an identifier`);
    } else {
      this.expectEol(sc, `#!${isIfdef ? 'ifdef' : 'ifndef'} ${name}`);
    }
    const cond = isIfdef === this.defines.has(name);
    this.ifs.push({ pos, active: cond, parentSkipping, seenElse: false, cond });
  }

  private defenvDirective(sc: Scanner, word: string, pos: SourcePos): void {
    sc.skipBlanks();
    const spec = sc.readLine(false).trim();
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=([A-Za-z_][A-Za-z0-9_]*))?$/.exec(spec);
    if (!m) return this.diag.error(pos, `#!${word} expects NAME or ID=NAME`);
    const id = m[1]!;
    const env = m[2] ?? id;
    const v = process.env[env];
    if (v === undefined) {
      if (!word.startsWith('try')) this.diag.error(pos, `environment variable '${env}' is not set`);
      return;
    }
    if (this.defines.has(id) && word.startsWith('try')) return;
    this.defines.set(id, { value: word.endsWith('s') ? JSON.stringify(v) : v, pos });
  }

  private substDirective(sc: Scanner, word: string, pos: SourcePos): void {
    sc.skipBlanks();
    const spec = sc.readDirectiveString();
    sc.readLine(false);
    if (spec === null) return this.diag.error(pos, `#!${word} expects a quoted "/regex/replacement/flags" argument`);
    const parts = splitSubst(spec);
    if (!parts) return this.diag.error(pos, `invalid #!${word} expression: ${spec}`);
    const [re, repl, flags] = parts;
    if (word !== 'subst') {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(re)) {
        return this.diag.error(pos, `#!${word} match part must be an identifier, got '${re}'`);
      }
      if (this.defines.has(re)) return this.diag.error(pos, `'${re}' is already defined`);
      this.defines.set(re, { value: word === 'substdefs' ? JSON.stringify(repl) : repl, pos });
    }
    try {
      const jsFlags = (flags.includes('g') ? 'g' : '') + (flags.includes('i') ? 'i' : '');
      this.substs.push({ re: new RegExp(re, jsFlags), repl: sedToJsReplacement(repl) });
    } catch (e) {
      this.diag.error(pos, `invalid regular expression in #!${word}: ${(e as Error).message}`);
    }
  }

  private applySubst(s: string): string {
    for (const r of this.substs) s = s.replace(r.re, r.repl);
    return s;
  }

  private include(sc: Scanner, mode: 'include' | 'import', pos: SourcePos): void {
    sc.skipBlanks();
    const name = sc.readDirectiveString();
    if (name === null || name === '') {
      sc.readLine(false);
      return this.diag.error(pos, `${mode}_file expects a file name between quotes`);
    }
    const fname = this.applySubst(name);
    if (this.includeDepth >= MAX_INCLUDE_DEPTH) {
      return this.diag.error(pos, `too many nested includes (max ${MAX_INCLUDE_DEPTH})`);
    }
    // Relative names are looked up next to the including file first, then in the cwd.
    const candidates = path.isAbsolute(fname)
      ? [fname]
      : [path.join(path.dirname(pos.file), fname), path.resolve(fname)];
    for (const c of candidates) {
      const text = this.readFile(c);
      if (text !== null) {
        this.includeDepth++;
        this.lexFile(text, c);
        this.includeDepth--;
        return;
      }
    }
    if (mode === 'include') this.diag.error(pos, `cannot open included file: ${fname}`);
  }
}

const YES_NO: Record<string, number> = {
  yes: 1,
  true: 1,
  on: 1,
  enable: 1,
  no: 0,
  false: 0,
  off: 0,
  disable: 0,
};

/** Split a sed-like "/re/repl/flags" (any separator char, backslash escapes it). */
function splitSubst(spec: string): [string, string, string] | null {
  if (spec.length < 3) return null;
  const sep = spec[0];
  const parts: string[] = [];
  let cur = '';
  for (let i = 1; i < spec.length; i++) {
    const c = spec[i];
    if (c === '\\' && spec[i + 1] === sep) {
      cur += sep;
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  const [re, repl, flags] = parts;
  if (parts.length !== 3 || re === undefined || repl === undefined || flags === undefined) return null;
  return [re, repl, flags];
}

/** sed replacement (\1, &) to JS replacement ($1, $&), keeping literal '$'. */
function sedToJsReplacement(repl: string): string {
  let out = '';
  for (let i = 0; i < repl.length; i++) {
    const c = repl[i];
    if (c === '\\' && /[0-9]/.test(repl[i + 1] ?? '')) {
      out += '$' + repl[++i];
    } else if (c === '\\' && i + 1 < repl.length) {
      out += repl[++i] === '$' ? '$$' : repl[i];
    } else if (c === '&') {
      out += '$&';
    } else if (c === '$') {
      out += '$$';
    } else {
      out += c;
    }
  }
  return out;
}
