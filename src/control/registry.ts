// The RPC method registry: name → handler plus the metadata (help, parameters) that by default
// comes from the command table. The control server calls invoke(); the dispatcher engine,
// tm and the core register their methods here.
import { findCommand } from '../rpc-api/commands';
import { RpcError } from '../rpc-api/errors';
import type { ParamSpec } from '../rpc-api/types';
import { normalizeParams, type RpcArg } from './params';

export interface RpcCall {
  readonly method: string;
  /** Typed positional values (see normalizeParams). */
  readonly args: readonly RpcArg[];
  /** The same values by parameter name. */
  readonly named: Readonly<Record<string, RpcArg>>;
  /** The caller asked to write the change back to the list file (dsctl --persist). */
  readonly persist: boolean;
}

/** Returns the JSON result (undefined is sent as null) or throws an RpcError. */
export type RpcHandler = (call: RpcCall) => unknown;

export interface MethodMeta {
  /** system.methodHelp text. */
  readonly help?: string;
  /** Parameter specs; `null` disables checking and passes raw params through in args. */
  readonly params?: readonly ParamSpec[] | null;
  readonly persist?: boolean;
  /**
   * false: do not type-check or require params (named ones are still mapped to positions);
   * for handlers that scan params like Kamailio's rpc->scan() (e.g. where reload_delta must
   * be checked before the params). Default true.
   */
  readonly check?: boolean;
}

interface Entry {
  readonly handler: RpcHandler;
  readonly help: string;
  readonly params: readonly ParamSpec[] | undefined;
  readonly persist: boolean;
  readonly check: boolean;
}

export class DuplicateMethodError extends Error {
  override readonly name = 'DuplicateMethodError';
  constructor(readonly method: string) {
    super(`RPC method ${method} is already registered`);
  }
}

export class MethodRegistry {
  private readonly methods = new Map<string, Entry>();

  /** meta defaults to the command table entry of `name` (help, params, persist). */
  register(name: string, handler: RpcHandler, meta: MethodMeta = {}): void {
    if (this.methods.has(name)) throw new DuplicateMethodError(name);
    const spec = findCommand(name);
    this.methods.set(name, {
      handler,
      help: meta.help ?? spec?.summary ?? '',
      params: meta.params === null ? undefined : (meta.params ?? spec?.params),
      persist: meta.persist ?? spec?.persist ?? false,
      check: meta.check ?? true,
    });
  }

  unregister(name: string): boolean {
    return this.methods.delete(name);
  }

  has(name: string): boolean {
    return this.methods.has(name);
  }

  /** Sorted, as Kamailio's system.listMethods. */
  list(): string[] {
    return [...this.methods.keys()].sort();
  }

  help(name: string): string | undefined {
    return this.methods.get(name)?.help;
  }

  /** Runs a method; faults are RpcErrors (unknown method: 500 "Method Not Found", as jsonrpcs). */
  async invoke(method: string, rawParams: unknown): Promise<unknown> {
    const e = this.methods.get(method);
    if (!e) throw RpcError.of('methodNotFound');
    const p = normalizeParams(e.params, rawParams, { persistAllowed: e.persist, check: e.check });
    const result = await e.handler({ method, args: p.args, named: p.named, persist: p.persist });
    return result === undefined ? null : result;
  }
}
