// Turns dsctl's words into JSON-RPC params, typed by the command table. Ints are sent as JSON
// numbers (jsonrpcs reads an int param only from a number); everything else as strings.
import { usageArgs } from '../rpc-api/commands';
import { PERSIST_PARAM, type RpcParamValue, type RpcParams } from '../rpc-api/protocol';
import type { CommandSpec, ParamSpec } from '../rpc-api/types';
import { UsageError } from './errors';

const INT = /^[+-]?\d+$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export function usageLine(spec: CommandSpec): string {
  const a = usageArgs(spec);
  return `dsctl ${spec.name}${a ? ' ' + a : ''}`;
}

function typed(spec: CommandSpec, p: ParamSpec, word: string): RpcParamValue {
  if (p.type === 'string') return word;
  if (!INT.test(word))
    throw new UsageError(`${spec.name}: ${p.name.toUpperCase()} must be an integer, got "${word}"`, usageLine(spec));
  const n = Number.parseInt(word, 10);
  if (n < INT32_MIN || n > INT32_MAX)
    throw new UsageError(`${spec.name}: ${p.name.toUpperCase()} is out of range: ${word}`, usageLine(spec));
  return n;
}

export interface CliParamInput {
  /** Positional words after the command name. */
  readonly words: readonly string[];
  /** Values of kamcli-style parameter flags (`--flags 8`), by parameter name. */
  readonly flagValues?: Readonly<Record<string, string | undefined>>;
  readonly persist?: boolean;
}

/**
 * Positional params as kamcmd sends them; with persist, a named object (the daemon maps names
 * back to positions) carrying `persist: true`. Returns undefined when there are no params.
 */
export function buildParams(spec: CommandSpec, input: CliParamInput): RpcParams | undefined {
  const values: Array<RpcParamValue | undefined> = [];
  const words = [...input.words];
  for (const p of spec.params) {
    const fromFlag = p.flag || p.switch ? input.flagValues?.[p.name] : undefined;
    if (p.variadic) {
      values.push(...words.splice(0).map((w) => typed(spec, p, w)));
      break;
    }
    const word = fromFlag ?? words.shift();
    if (word === undefined) {
      if (!p.optional) {
        const missing = spec.params
          .slice(spec.params.indexOf(p))
          .filter((q) => !q.optional && !q.variadic && !(q.flag && input.flagValues?.[q.name] !== undefined));
        throw new UsageError(
          `${spec.name}: missing ${missing.map((q) => q.name.toUpperCase()).join(' ')}`,
          usageLine(spec),
        );
      }
      values.push(undefined);
      continue;
    }
    values.push(typed(spec, p, word));
  }
  if (words.length) throw new UsageError(`${spec.name}: unexpected argument "${words[0]}"`, usageLine(spec));
  while (values.length && values[values.length - 1] === undefined) values.pop();
  if (input.persist) {
    const named: Record<string, RpcParamValue> = {};
    spec.params.forEach((p, i) => {
      const v = values[i];
      if (v !== undefined) named[p.name] = v;
    });
    named[PERSIST_PARAM] = true;
    return named;
  }
  if (!values.length) return undefined;
  // An optional value that is absent but followed by a given one takes its default.
  return values.map((v, i) => {
    if (v !== undefined) return v;
    const d = spec.params[i]!.default;
    if (d === undefined)
      throw new UsageError(
        `${spec.name}: ${spec.params[i]!.name.toUpperCase()} is needed before ${spec.params[i + 1]!.name.toUpperCase()}`,
        usageLine(spec),
      );
    return d;
  });
}

/** kamcmd's own typing of a free word (dsctl rpc): int, then float, else string; `s:` forces a string. */
export function kamcmdWord(word: string): RpcParamValue {
  if (INT.test(word)) {
    const n = Number.parseInt(word, 10);
    if (n >= INT32_MIN && n <= INT32_MAX) return n;
  }
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(word)) return Number.parseFloat(word);
  return word.startsWith('s:') ? word.slice(2) : word;
}
