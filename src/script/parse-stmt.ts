// Statements of route blocks, following Kamailio's cfg.y grammar; expressions are
// parse-expr.ts's.
import type { Expr, Stmt, SwitchCase } from './ast';
import { ExprParser } from './parse-expr';
import { BlockUnwind, ParseError } from './token-stream';
import { describe, type Token } from './tokens';

const BARE_COMMANDS = new Set([
  'force_rport',
  'add_rport',
  'add_local_rport',
  'revert_uri',
  'force_tcp_alias',
  'add_tcp_alias',
  'set_forward_no_connect',
  'set_reply_no_connect',
  'set_forward_close',
  'set_reply_close',
]);

/** Identifiers that begin a top-level declaration; seeing one inside a block means a missing '}'. */
const TOP_DECL = new Set([
  'request_route',
  'failure_route',
  'onreply_route',
  'reply_route',
  'branch_route',
  'event_route',
  'onsend_route',
  'loadmodule',
  'loadmodulex',
  'modparam',
  'modparamx',
]);

export class StmtParser extends ExprParser {
  /** True when the tokens at the cursor start a top-level declaration. */
  protected atTopDecl(): boolean {
    const t = this.peek();
    if (t.kind !== 'id') return false;
    if (TOP_DECL.has(t.text)) return true;
    return t.text === 'route' && (this.isOp('[', 1) || this.isOp('{', 1));
  }

  /** Statements up to the matching '}' (the '{' token has been consumed). */
  parseBlock(open: Token): Stmt[] {
    const out: Stmt[] = [];
    for (;;) {
      if (this.acceptOp('}')) return out;
      if (this.atEof()) {
        if (!this.diag.truncated) this.diag.error(open.pos, "unbalanced braces: '{' is never closed (missing '}')");
        throw new BlockUnwind();
      }
      if (this.atTopDecl()) {
        const t = this.peek();
        this.diag.error(
          open.pos,
          `unbalanced braces: '{' is not closed before '${t.text}' at line ${t.pos.line} (missing '}')`,
        );
        throw new BlockUnwind();
      }
      try {
        const s = this.parseStmt();
        if (s) out.push(s);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        this.syncStatement();
      }
    }
  }

  private parseBody(): Stmt[] {
    const t = this.peek();
    if (t.kind === 'op' && t.text === '{') {
      this.next();
      return this.parseBlock(t);
    }
    const s = this.parseStmt();
    return s ? [s] : [];
  }

  parseStmt(): Stmt | null {
    const t = this.peek();
    const pos = t.pos;
    if (t.kind === 'op') {
      if (t.text === ';') {
        this.next();
        return null;
      }
      if (t.text === '{') {
        this.next();
        return { k: 'block', body: this.parseBlock(t), pos };
      }
      return this.fail(pos, `unexpected ${describe(t)} at the start of a statement`);
    }
    if (t.kind === 'pv') return this.parseAssign();
    if (t.kind !== 'id') return this.fail(pos, `unexpected ${describe(t)} at the start of a statement`);
    switch (t.text) {
      case 'if': {
        this.next();
        const cond = this.parseExpr();
        const then = this.parseBody();
        let els: Stmt[] | null = null;
        if (this.isId('else')) {
          this.next();
          els = this.parseBody();
        }
        return { k: 'if', cond, then, else: els, pos };
      }
      case 'while': {
        this.next();
        const cond = this.parseExpr();
        return { k: 'while', cond, body: this.parseBody(), pos };
      }
      case 'switch':
        return this.parseSwitch();
      case 'return':
      case 'exit':
      case 'drop': {
        this.next();
        let e: Expr | null = null;
        if (this.isOp('(') && this.isOp(')', 1)) {
          this.i += 2;
        } else if (!this.isOp(';')) {
          e = this.parseExpr();
        }
        this.expectSemicolon(t.text);
        return { k: t.text, e, pos };
      }
      case 'break':
        this.next();
        this.expectSemicolon('break');
        return { k: 'break', pos };
      case 'else':
        return this.fail(pos, "'else' without a matching 'if'");
      case 'case':
      case 'default':
        return this.fail(pos, `'${t.text}' outside of a switch`);
    }
    if (!this.isOp('(', 1)) {
      if (BARE_COMMANDS.has(t.text) && this.isOp(';', 1)) {
        // Kamailio core keywords that may be written without parentheses
        this.i += 2;
        return { k: 'call', call: { name: t.text, args: [], pos }, pos };
      }
      return this.fail(pos, `'(' expected after '${t.text}' (function call)`);
    }
    const call = this.parseCall();
    this.expectSemicolon(`${call.name}(...)`);
    return { k: 'call', call, pos };
  }

  private expectSemicolon(after: string): void {
    if (this.acceptOp(';')) return;
    const prev = this.toks[this.i - 1];
    const t = this.peek();
    this.fail(prev ? prev.pos : t.pos, `missing ';' after ${after} (found ${describe(t)})`);
  }

  private parseAssign(): Stmt {
    const lhsTok = this.next();
    const opTok = this.peek();
    let op: '=' | '+=';
    if (opTok.kind === 'op' && (opTok.text === '=' || opTok.text === '+=')) {
      op = opTok.text;
      this.next();
    } else {
      return this.fail(opTok.pos, `expected '=' after ${lhsTok.text} (assignment), found ${describe(opTok)}`);
    }
    const rhs = this.parseExpr();
    this.expectSemicolon('assignment');
    return { k: 'assign', lhs: lhsTok.text, lhsPos: lhsTok.pos, op, rhs, pos: lhsTok.pos };
  }

  private parseSwitch(): Stmt {
    const pos = this.next().pos;
    const e = this.parseExpr();
    const open = this.expectOp('{', 'after switch expression');
    const cases: SwitchCase[] = [];
    for (;;) {
      if (this.acceptOp('}')) break;
      if (this.atEof() || this.atTopDecl()) {
        this.diag.error(open.pos, "unbalanced braces: switch '{' is never closed (missing '}')");
        throw new BlockUnwind();
      }
      const t = this.peek();
      let match: Expr | null = null;
      let regex = false;
      if (t.kind === 'id' && t.text === 'case') {
        this.next();
        if (this.acceptOp('/')) regex = true;
        match = this.parseExpr();
      } else if (t.kind === 'id' && t.text === 'default') {
        this.next();
      } else {
        this.diag.error(t.pos, `expected 'case' or 'default' in switch, found ${describe(t)}`);
        this.syncStatement();
        continue;
      }
      this.expectOp(':', 'after case label');
      const body: Stmt[] = [];
      while (!this.isId('case') && !this.isId('default') && !this.isOp('}') && !this.atEof() && !this.atTopDecl()) {
        try {
          const s = this.parseStmt();
          if (s) body.push(s);
        } catch (err) {
          if (!(err instanceof ParseError)) throw err;
          this.syncStatement();
        }
      }
      cases.push({ match, regex, body, pos: t.pos });
    }
    return { k: 'switch', e, cases, pos };
  }
}
