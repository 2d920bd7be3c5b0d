// Types of the one command table shared by the daemon (method registry, system.methodHelp),
// dsctl (commands, argument checks, renderers), the man pages and the completions.
// Nothing here may import engine code: dsctl loads it on every start.

/** Wire type of a positional parameter, as Kamailio's rpc->scan() reads it. */
type ParamType = 'int' | 'string';

/** Where shell completion finds candidates for a parameter. */
type CompletionSource =
  | 'state' // dispatcher state strings (static)
  | 'setid' // set ids of the running daemon
  | 'uri' // destination URIs of the running daemon (of the chosen set when known)
  | 'duid' // destination DUIDs of the running daemon
  | 'listmode' // short | full
  | 'method'; // RPC method names

export interface ParamSpec {
  /** Lower-case name; used for named JSON-RPC params and shown upper-cased in usage lines. */
  readonly name: string;
  readonly type: ParamType;
  readonly optional?: boolean;
  /** Documented literal values (for help, man page and completion); the daemon validates. */
  readonly values?: readonly string[];
  readonly complete?: CompletionSource;
  /** One-line help. */
  readonly help: string;
  /** Also accepted as `--<flag> VALUE` by dsctl (kamcli spelling, e.g. `--flags 8`). */
  readonly flag?: string;
  /** Sent in place of an optional value that is absent but followed by a given one. */
  readonly default?: number | string;
  /** Also accepted as the bare switch `--<switch>` by dsctl, sending `values[0]` (`--dry-run`). */
  readonly switch?: string;
  /** Takes all remaining words (only the last parameter, dsctl-only commands). */
  readonly variadic?: boolean;
}

/**
 * How a result looks, so dsctl picks a renderer and docs describe it.
 * - `string`: one line (kamcmd prints it as is)
 * - `struct`: one object
 * - `list`: an array (kamcmd prints one top-level value per member)
 * - `dispatcher-list`: the NRSETS/RECORDS tree of dispatcher.list
 * - `pairs`: a flat array of [pid, description, pid, description, …] (core.ps)
 * - `oclist`: array of congestion records
 * - `explain`: dispatcher.explain's struct (a readable report by default)
 */
export type OutputKind = 'string' | 'struct' | 'list' | 'dispatcher-list' | 'pairs' | 'oclist' | 'explain' | 'none';

interface OutputSpec {
  readonly kind: OutputKind;
  /** Keys whose integral values go over binrpc as a C int and so print signed in kamcmd (e.g. hashid). */
  readonly int32Keys?: readonly string[];
  /** Short prose for the man page. */
  readonly doc: string;
}

export interface CommandSpec {
  /** kamcmd method name, e.g. `dispatcher.set_state`; also the dsctl command name. */
  readonly name: string;
  /** One-line help; the daemon returns it from system.methodHelp. */
  readonly summary: string;
  /** Longer text for `dsctl CMD --help` and the man page. */
  readonly description?: string;
  readonly params: readonly ParamSpec[];
  /**
   * Other spellings dsctl accepts, words separated by one space (`dispatcher list`,
   * kamcli's `dispatcher memadd`). Every `topic.verb` name gets `topic verb` implicitly.
   */
  readonly aliases: readonly string[];
  readonly output: OutputSpec;
  /** false: a dsctl-only command that is not an RPC method (dispatcher.top). */
  readonly rpc: boolean;
  /** Accepts `--persist` (sent as the named param `persist: true`). */
  readonly persist?: boolean;
  /** Registered by the dispatcher engine (true) or by the control core (false). */
  readonly module: 'dispatcher' | 'core' | 'corex' | 'tm' | 'pike' | 'tls' | 'websocket' | 'dsctl';
  /** `dsctl …` example lines for help and the man page (without the leading `dsctl `). */
  readonly examples: readonly string[];
  /** A dsd addition that Kamailio 5.6 does not have. */
  readonly extension?: boolean;
  /**
   * The method changes the daemon's state, so every call is written to the audit log:
   * 'always', or 'with-params' when only a call with parameters changes something
   * (dispatcher.ping_active 0, corex.debug 3).
   */
  readonly changes?: 'always' | 'with-params';
}
