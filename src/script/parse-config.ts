// Top level of kamailio.cfg: global parameters, loadmodule, modparam, flags and
// route blocks. Errors are recorded and parsing resumes at the next line.
import type { ConfigAst, GlobalAssign, GlobalValue, RouteDecl, RouteKind } from './ast';
import type { Diagnostics, SourcePos } from './errors';
import { StmtParser } from './parse-stmt';
import { BlockUnwind, ParseError } from './token-stream';
import { describe, type Token } from './tokens';

const EVENT_RT_NAME = /^[a-zA-Z][0-9a-zA-Z-]*(:[a-zA-Z][0-9a-zA-Z_-]*)+$/;
/** Globals whose value is a list of addresses (listen=udp:a:5060 tcp:a:5060). */
const ADDRESS_LISTS = new Set(['listen', 'alias']);

export class ConfigParser extends StmtParser {
  private readonly ast: ConfigAst = { globals: [], moduleStmts: [], flags: [], routes: [], mpath: null };
  private mpath: string | null = null;

  constructor(toks: readonly Token[], diag: Diagnostics, mainFile: string) {
    super(toks, diag, mainFile);
  }

  parse(): ConfigAst {
    while (!this.atEof()) {
      const start = this.i;
      try {
        this.topStatement();
      } catch (e) {
        if (e instanceof ParseError) {
          if (this.i === start) this.i++;
          this.syncTopLevel();
        } else if (e instanceof BlockUnwind) {
          // resume at the declaration that interrupted the block
        } else {
          throw e;
        }
      }
    }
    return { ...this.ast, mpath: this.mpath };
  }

  private topStatement(): void {
    const t = this.peek();
    if (t.kind === 'op' && t.text === ';') {
      this.next();
      return;
    }
    if (t.kind === 'op' && t.text === '}') {
      this.next();
      return this.fail(t.pos, "unexpected '}' (unbalanced braces)");
    }
    if (t.kind !== 'id') return this.fail(t.pos, `unexpected ${describe(t)} at top level`);
    switch (t.text) {
      case 'loadmodule':
      case 'loadmodulex': {
        this.next();
        const s = this.peek();
        if (s.kind !== 'str') return this.fail(s.pos, `string expected after ${t.text}`);
        this.next();
        this.ast.moduleStmts.push({ k: 'load', v: { spec: s.text, pos: t.pos } });
        return;
      }
      case 'mpath':
      case 'loadpath': {
        this.next();
        this.acceptOp('=');
        const s = this.peek();
        if (s.kind !== 'str') return this.fail(s.pos, `string expected after ${t.text}`);
        this.next();
        this.mpath = s.text;
        return;
      }
      case 'modparam':
      case 'modparamx':
        return this.modparam();
      case 'flags':
      case 'bool':
        return this.flagsDecl();
      case 'avpflags':
        this.next();
        this.diag.warn(t.pos, 'avpflags declarations have no effect in dsd');
        while (!this.atEof() && (this.peek().kind === 'id' || this.peek().kind === 'str' || this.isOp(',')))
          this.next();
        return;
      case 'cfgengine': {
        this.next();
        this.acceptOp('=');
        const s = this.peek();
        if (s.kind !== 'str') return this.fail(s.pos, 'string expected after cfgengine');
        this.next();
        if (s.text !== 'native' && s.text !== 'none') {
          this.diag.error(
            s.pos,
            `cfgengine "${s.text}": KEMI script engines are not supported by dsd (only the native language)`,
          );
        }
        return;
      }
      case 'route':
      case 'request_route':
      case 'main_route':
      case 'failure_route':
      case 'onreply_route':
      case 'reply_route':
      case 'branch_route':
      case 'event_route':
      case 'onsend_route':
        return this.routeDecl();
      default:
        break;
    }
    if (this.isOp('=', 1)) return this.globalAssign();
    if (this.isOp('.', 1) && this.peek(2).kind === 'id' && this.isOp('=', 3)) return this.customVar();
    return this.fail(t.pos, `unexpected ${describe(t)} at top level (unknown statement or missing '=')`);
  }

  private modparam(): void {
    const kw = this.next();
    this.expectOp('(', `after ${kw.text}`);
    const mod = this.peek();
    if (mod.kind !== 'str') return this.fail(mod.pos, `${kw.text}: module name must be a string`);
    this.next();
    this.expectOp(',', `after the module name in ${kw.text}`);
    const name = this.peek();
    if (name.kind !== 'str') return this.fail(name.pos, `${kw.text}: parameter name must be a string`);
    this.next();
    this.expectOp(',', `after the parameter name in ${kw.text}`);
    const v = this.peek();
    let value: string | number;
    if (v.kind === 'str') {
      value = v.text;
      this.next();
    } else if (v.kind === 'num') {
      value = v.value;
      this.next();
    } else if (v.kind === 'op' && v.text === '-' && this.peek(1).kind === 'num') {
      this.next();
      value = -this.next().value;
    } else if (v.kind === 'id') {
      return this.fail(
        v.pos,
        `${kw.text}("${mod.text}", "${name.text}"): unexpected identifier '${v.text}' as value (undefined #!define?)`,
      );
    } else {
      return this.fail(
        v.pos,
        `${kw.text}("${mod.text}", "${name.text}"): value must be a string or an integer, found ${describe(v)}`,
      );
    }
    this.expectOp(')', `to close ${kw.text}(`);
    this.ast.moduleStmts.push({
      k: 'param',
      v: { module: mod.text, name: name.text, value, pos: kw.pos, valuePos: v.pos },
    });
  }

  private flagsDecl(): void {
    const kw = this.next();
    for (;;) {
      const n = this.peek();
      if (n.kind !== 'id' && n.kind !== 'str') return this.fail(n.pos, 'flag name expected in flags declaration');
      this.next();
      let bit: number | null = null;
      if (this.acceptOp(':')) {
        const b = this.peek();
        if (b.kind !== 'num') return this.fail(b.pos, 'flag number expected after ":"');
        this.next();
        bit = b.value;
      }
      this.ast.flags.push({ name: n.text, bit, pos: n.pos });
      if (!this.acceptOp(',')) break;
    }
    void kw;
  }

  private routeName(what: string): { name: string; pos: SourcePos } {
    const t = this.peek();
    if (t.kind === 'num' || t.kind === 'id' || t.kind === 'str') {
      this.next();
      return { name: t.kind === 'num' ? String(t.value) : t.text, pos: t.pos };
    }
    return this.fail(t.pos, `route name expected in ${what}[...], found ${describe(t)}`);
  }

  private routeDecl(): void {
    const kwTok = this.next();
    const kw = kwTok.text;
    let kind: RouteKind;
    let name: string | null = null;
    if (kw === 'event_route') {
      this.expectOp('[', 'after event_route');
      const w = this.readWord((x) => x.kind === 'op' && x.text === ']');
      if (!EVENT_RT_NAME.test(w.text)) {
        return this.fail(w.toks[0]?.pos ?? kwTok.pos, `invalid event_route name '${w.text}' (expected module:event)`);
      }
      name = w.text;
      this.expectOp(']', 'after the event route name');
      kind = 'event';
    } else if (this.acceptOp('[')) {
      name = this.routeName(kw).name;
      this.expectOp(']', `after the ${kw} name`);
      if (kw === 'reply_route' || kw === 'request_route' || kw === 'main_route') {
        return this.fail(kwTok.pos, `${kw} does not take a name`);
      }
      kind =
        kw === 'route'
          ? name === '0'
            ? 'request'
            : 'route'
          : kw === 'failure_route'
            ? 'failure'
            : kw === 'onreply_route'
              ? 'onreply'
              : kw === 'branch_route'
                ? 'branch'
                : 'onsend';
      if (kind === 'request' || (kind === 'onreply' && name === '0')) name = null;
    } else {
      kind =
        kw === 'route' || kw === 'request_route' || kw === 'main_route'
          ? 'request'
          : kw === 'failure_route'
            ? 'failure'
            : kw === 'onreply_route' || kw === 'reply_route'
              ? 'onreply'
              : kw === 'branch_route'
                ? 'branch'
                : 'onsend';
    }
    const open = this.peek();
    if (!(open.kind === 'op' && open.text === '{')) {
      return this.fail(
        open.pos,
        `expected '{' to open ${kw}${name !== null ? `[${name}]` : ''}, found ${describe(open)}`,
      );
    }
    this.next();
    let body;
    try {
      body = this.parseBlock(open);
    } catch (e) {
      // Keep the (empty) route so calls to it do not cascade into more errors.
      if (e instanceof BlockUnwind) this.ast.routes.push({ kind, name, body: [], pos: kwTok.pos });
      throw e;
    }
    const decl: RouteDecl = { kind, name, body, pos: kwTok.pos };
    this.ast.routes.push(decl);
  }

  private value(): GlobalValue {
    const t = this.peek();
    if (t.kind === 'op' && t.text === '-' && this.peek(1).kind === 'num' && !this.peek(1).space) {
      this.i += 2;
      return { k: 'num', v: -this.peek(-1).value, pos: t.pos };
    }
    const w = this.readWord();
    if (w.toks.length === 0) return this.fail(t.pos, `value expected, found ${describe(t)}`);
    const x = w.toks[0];
    if (w.toks.length === 1 && x) {
      if (x.kind === 'num') return { k: 'num', v: x.value, pos: x.pos };
      if (x.kind === 'str') return { k: 'str', v: x.text, pos: x.pos };
      if (x.kind === 'id') return { k: 'id', v: x.text, pos: x.pos };
    }
    return { k: 'word', v: w.text, pos: t.pos };
  }

  private globalAssign(): void {
    const nameTok = this.next();
    this.next(); // '='
    const name = nameTok.text;
    const values: [GlobalValue, ...GlobalValue[]] = [this.value()];
    let advertise: GlobalValue | null = null;
    let sockName: string | null = null;
    let virtual = false;
    if (ADDRESS_LISTS.has(name)) {
      for (;;) {
        const t = this.peek();
        if (this.atEof() || t.newline || (t.kind === 'op' && t.text === ';')) break;
        if (name === 'listen' && t.kind === 'id' && (t.text === 'advertise' || t.text === 'ADVERTISE')) {
          this.next();
          advertise = this.value();
        } else if (name === 'listen' && t.kind === 'id' && (t.text === 'name' || t.text === 'NAME')) {
          this.next();
          const s = this.peek();
          if (s.kind !== 'str') return this.fail(s.pos, 'string expected after listen ... name');
          this.next();
          sockName = s.text;
        } else if (name === 'listen' && t.kind === 'id' && t.text === 'virtual') {
          this.next();
          virtual = true;
        } else if (advertise === null && sockName === null && !virtual) {
          values.push(this.value());
        } else {
          return this.fail(t.pos, `unexpected ${describe(t)} in ${name}=`);
        }
      }
    }
    const g: GlobalAssign = { name, pos: nameTok.pos, values, advertise, sockName, virtual };
    this.ast.globals.push(g);
  }

  /** group.var = value [descr "..."] — Kamailio custom cfg variables. */
  private customVar(): void {
    const g = this.next();
    this.next();
    const v = this.next();
    this.next(); // '='
    const value = this.value();
    if (this.isId('descr') || this.isId('desc') || this.isId('description')) {
      this.next();
      if (this.peek().kind === 'str') this.next();
    }
    this.ast.globals.push({
      name: `${g.text}.${v.text}`,
      pos: g.pos,
      values: [value],
      advertise: null,
      sockName: null,
      virtual: false,
    });
  }
}
