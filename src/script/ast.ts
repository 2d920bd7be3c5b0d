// Syntax tree of a routing script. It lives only between parsing and compiling:
// the compiler turns it into closures once, and nothing walks it per message.
import type { SourcePos } from './errors';

export type BinOp =
  | '||'
  | '&&'
  | '|'
  | '&'
  | '^'
  | '<<'
  | '>>'
  | '=='
  | '!='
  | '=~'
  | '!~'
  | 'eq'
  | 'ne'
  | 'ieq'
  | 'ine'
  | '>'
  | '<'
  | '>='
  | '<='
  | '+'
  | '-'
  | '*'
  | '/'
  | '%';

type UnOp = '!' | '-' | '~' | 'defined' | 'int' | 'str' | 'strlen' | 'strempty';

/** Kamailio core keywords usable as operands of old-style comparisons (`uri == myself`). */
export type Keyword =
  | 'method'
  | 'uri'
  | 'status'
  | 'from_uri'
  | 'to_uri'
  | 'src_ip'
  | 'dst_ip'
  | 'snd_ip'
  | 'to_ip'
  | 'src_port'
  | 'dst_port'
  | 'snd_port'
  | 'to_port'
  | 'proto'
  | 'snd_proto'
  | 'af'
  | 'snd_af'
  | 'msg:len';

export type Expr =
  | { readonly k: 'num'; readonly v: number; readonly pos: SourcePos }
  | { readonly k: 'str'; readonly v: string; readonly pos: SourcePos }
  | { readonly k: 'pv'; readonly text: string; readonly pos: SourcePos }
  | { readonly k: 'id'; readonly name: string; readonly pos: SourcePos }
  | { readonly k: 'call'; readonly call: Call; readonly pos: SourcePos }
  | { readonly k: 'un'; readonly op: UnOp; readonly e: Expr; readonly pos: SourcePos }
  | { readonly k: 'bin'; readonly op: BinOp; readonly l: Expr; readonly r: Expr; readonly pos: SourcePos }
  | { readonly k: 'selval'; readonly c: Expr; readonly a: Expr; readonly b: Expr; readonly pos: SourcePos }
  | {
      readonly k: 'kw';
      readonly kw: Keyword;
      readonly op: BinOp;
      /** 'myself', an IP/network literal, or an expression. */
      readonly r: Expr | { readonly k: 'myself' } | { readonly k: 'net'; readonly text: string };
      readonly pos: SourcePos;
    };

export interface Call {
  readonly name: string;
  readonly args: readonly Expr[];
  readonly pos: SourcePos;
}

export interface SwitchCase {
  /** null = default */
  readonly match: Expr | null;
  readonly regex: boolean;
  readonly body: readonly Stmt[];
  readonly pos: SourcePos;
}

type AssignOp = '=' | '+=';

export type Stmt =
  | { readonly k: 'call'; readonly call: Call; readonly pos: SourcePos }
  | {
      readonly k: 'if';
      readonly cond: Expr;
      readonly then: readonly Stmt[];
      readonly else: readonly Stmt[] | null;
      readonly pos: SourcePos;
    }
  | { readonly k: 'while'; readonly cond: Expr; readonly body: readonly Stmt[]; readonly pos: SourcePos }
  | { readonly k: 'switch'; readonly e: Expr; readonly cases: readonly SwitchCase[]; readonly pos: SourcePos }
  | { readonly k: 'return' | 'exit' | 'drop'; readonly e: Expr | null; readonly pos: SourcePos }
  | { readonly k: 'break'; readonly pos: SourcePos }
  | {
      readonly k: 'assign';
      readonly lhs: string;
      readonly lhsPos: SourcePos;
      readonly op: AssignOp;
      readonly rhs: Expr;
      readonly pos: SourcePos;
    }
  | { readonly k: 'block'; readonly body: readonly Stmt[]; readonly pos: SourcePos };

export type RouteKind = 'request' | 'route' | 'failure' | 'onreply' | 'branch' | 'event' | 'onsend';

export interface RouteDecl {
  readonly kind: RouteKind;
  /** null for request_route, bare onreply_route/reply_route, failure_route, branch_route. */
  readonly name: string | null;
  readonly body: readonly Stmt[];
  readonly pos: SourcePos;
}

export type GlobalValue =
  | { readonly k: 'num'; readonly v: number; readonly pos: SourcePos }
  | { readonly k: 'str'; readonly v: string; readonly pos: SourcePos }
  | { readonly k: 'id'; readonly v: string; readonly pos: SourcePos }
  /** A run of adjacent tokens such as udp:127.0.0.1:5060, joined as written. */
  | { readonly k: 'word'; readonly v: string; readonly pos: SourcePos };

export interface GlobalAssign {
  readonly name: string;
  readonly pos: SourcePos;
  readonly values: readonly [GlobalValue, ...GlobalValue[]];
  /** Words after `advertise`, `name`, `virtual` for listen. */
  readonly advertise: GlobalValue | null;
  readonly sockName: string | null;
  readonly virtual: boolean;
}

export interface ModParam {
  readonly module: string;
  readonly name: string;
  readonly value: string | number;
  readonly pos: SourcePos;
  readonly valuePos: SourcePos;
}

export interface LoadModule {
  readonly spec: string;
  readonly pos: SourcePos;
}

interface FlagDecl {
  readonly name: string;
  readonly bit: number | null;
  readonly pos: SourcePos;
}

export interface ConfigAst {
  readonly globals: GlobalAssign[];
  /** loadmodule and modparam statements in file order (modparam needs its module loaded first). */
  readonly moduleStmts: Array<{ k: 'load'; v: LoadModule } | { k: 'param'; v: ModParam }>;
  readonly flags: FlagDecl[];
  readonly routes: RouteDecl[];
  readonly mpath: string | null;
}
