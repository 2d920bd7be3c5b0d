/**
 * The kinds of cfg function parameters and of modparam values: the vocabulary the
 * function registry (registry.ts) and the table of Kamailio's signatures
 * (kamailio-signatures.ts) share, in a file of its own so neither imports the other's.
 */

/**
 * How a function argument is fixed up (Kamailio fixup names in brackets):
 * - int:   static integer; "10" and 10 both work [fixup_int]
 * - str:   static string; numbers become strings [fixup_str]
 * - fmt:   string with pseudo-variables expanded per call, "$rU@$rd" [fixup_spve]
 * - igp:   static integer, or a pseudo-variable read per call as int [fixup_igp]
 * - sgp:   static string taken literally, or one whole pseudo-variable read per call
 *          [fixup_var_str_12: t_reply's reason]
 * - pv:    pseudo-variable reference, passed as PvRef [fixup_pvar]
 * - pvw:   writable pseudo-variable reference, passed as PvRef [fixup_pvar]
 * - regex: regular expression, case-insensitive POSIX ERE; compiled once when static
 * - route / failure_route / onreply_route / branch_route / event_route:
 *          name of a block that must exist; passed as the name string
 * - flag:  flag number 0..31 or a name from a `flags` declaration
 * - any:   any expression, evaluated per call (string | number | null)
 */
export type ParamKind =
  | 'int'
  | 'str'
  | 'fmt'
  | 'igp'
  | 'sgp'
  | 'pv'
  | 'pvw'
  | 'regex'
  | 'route'
  | 'failure_route'
  | 'onreply_route'
  | 'branch_route'
  | 'event_route'
  | 'flag'
  | 'any';

export type ModParamType = 'int' | 'str' | 'any';
