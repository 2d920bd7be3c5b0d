// The RPC method registry: name → handler plus the metadata (help, parameters) that by default
// comes from the command table. The control server calls invoke(); the dispatcher engine,
// tm and the core register their methods here.
import { findCommand } from '../rpc-api/commands';
import { RpcError } from '../rpc-api/errors';
import type { ParamSpec } from '../rpc-api/types';
import { normalizeParams, type RpcArg } from './params';
import { DsdError } from '../core/errors';
import { unknownPeer, type PeerCred } from './peer-cred';

export interface RpcCall {
  readonly method: string;
  /** Typed positional values (see normalizeParams). */
  readonly args: readonly RpcArg[];
  /** The same values by parameter name. */
  readonly named: Readonly<Record<string, RpcArg>>;
  /** The caller asked to write the change back to the list file (dsctl --persist). */
  readonly persist: boolean;
}

/** Who called, as far as the transport knows (for the audit log). */
export interface CallerInfo {
  /** The protocol that carried the call: 'jsonrpc', 'binrpc', … */
  readonly transport: string;
  /** The socket or address it came in on. */
  readonly endpoint?: string;
  /** A network peer's address (binrpc over TCP/UDP, jsonrpcs over UDP). */
  readonly remote?: string;
  /**
   * Who the peer is (peer-cred.ts), asked only when the call is audited: it may cost a
   * process spawn. Absent: the transport cannot tell (`noPeer` says why).
   */
  readonly peer?: () => PeerCred | Promise<PeerCred>;
  readonly noPeer?: string;
}

/** One call of a method that changes something: what, by whom, and how it ended. */
export interface AuditRecord {
  readonly method: string;
  readonly params: unknown;
  readonly caller: CallerInfo | undefined;
  /** The peer's credentials, or why they are unknown. */
  readonly peer: PeerCred;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly fault?: { readonly code?: unknown; readonly message: string; readonly data?: unknown };
  readonly ms: number;
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
  /** Audited: 'always', or 'with-params' (see CommandSpec.changes). Default from the command table. */
  readonly changes?: 'always' | 'with-params';
}

interface Entry {
  readonly handler: RpcHandler;
  readonly help: string;
  readonly params: readonly ParamSpec[] | undefined;
  readonly persist: boolean;
  readonly check: boolean;
  readonly changes: 'always' | 'with-params' | undefined;
}

const hasParams = (p: unknown): boolean =>
  Array.isArray(p) ? p.length > 0 : p !== null && typeof p === 'object' ? Object.keys(p).length > 0 : p !== undefined;

export class DuplicateMethodError extends DsdError {
  constructor(readonly method: string) {
    super('DSD_ERR_DUPLICATE_METHOD', `RPC method ${method} is already registered`);
  }
}

export class MethodRegistry {
  private readonly methods = new Map<string, Entry>();
  /** Told about every call that changes something, whatever transport carried it. */
  onAudit: ((r: AuditRecord) => void) | null = null;
  /** hold(): calls wait for this, and `onHeldCall` hears of the first. */
  private held: Promise<void> | null = null;
  private onHeldCall: ((method: string) => void) | null = null;

  /**
   * Every call from now on waits until `until` settles (the warm-up while idle,
   * daemon/warmup-idle.ts, has the script's services swapped for its own meanwhile), and
   * the first one tells `onCall` so the holder ends at once.
   */
  hold(until: Promise<void>, onCall: (method: string) => void): void {
    this.onHeldCall = onCall;
    this.held = until.finally(() => {
      this.held = null;
      this.onHeldCall = null;
    });
  }

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
      changes: meta.changes ?? spec?.changes,
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
  async invoke(method: string, rawParams: unknown, caller?: CallerInfo): Promise<unknown> {
    if (!this.has(method)) throw RpcError.of('methodNotFound');
    const changes = this.changesOf(method);
    const audited =
      this.onAudit !== null && (changes === 'always' || (changes === 'with-params' && hasParams(rawParams)));
    if (!audited) return this.execute(method, rawParams);
    const t0 = performance.now();
    // asked at once, while the peer is surely still connected, and in parallel with the call
    const peer = peerOf(caller);
    const done = async (r: Pick<AuditRecord, 'ok' | 'result' | 'fault'>): Promise<void> => {
      const ms = performance.now() - t0;
      try {
        this.onAudit?.({ method, params: rawParams, caller, peer: await peer, ms, ...r });
      } catch {
        /* the audit sink never fails a call */
      }
    };
    // the audit line is written before the answer goes out
    try {
      const result = await this.execute(method, rawParams);
      await done({ ok: true, result });
      return result;
    } catch (err) {
      const x = err as { code?: unknown; message?: string; data?: unknown; detail?: unknown };
      await done({
        ok: false,
        fault: { code: x?.code, message: String(x?.message ?? err), data: x?.data ?? x?.detail },
      });
      throw err;
    }
  }

  /** Whether (and when) calls of `method` are audited. */
  protected changesOf(method: string): 'always' | 'with-params' | undefined {
    return this.methods.get(method)?.changes;
  }

  /** Runs a method known to has(). */
  protected execute(method: string, rawParams: unknown): Promise<unknown> {
    // system.* (listMethods, methodHelp, methodSignature) reads only this table: never held
    if (this.held !== null && !method.startsWith('system.')) {
      const told = this.onHeldCall;
      this.onHeldCall = null;
      told?.(method);
      return this.held.then(() => this.execute(method, rawParams));
    }
    const e = this.methods.get(method);
    if (!e) return Promise.reject(RpcError.of('methodNotFound'));
    return this.run(e, method, rawParams);
  }

  private async run(e: Entry, method: string, rawParams: unknown): Promise<unknown> {
    const p = normalizeParams(e.params, rawParams, { persistAllowed: e.persist, check: e.check });
    const result = await e.handler({ method, args: p.args, named: p.named, persist: p.persist });
    return result === undefined ? null : result;
  }
}

function peerOf(caller: CallerInfo | undefined): Promise<PeerCred> {
  if (caller?.peer === undefined) return Promise.resolve(unknownPeer(caller?.noPeer ?? 'the transport does not tell'));
  return Promise.resolve()
    .then(caller.peer)
    .catch((e: Error) => unknownPeer(e.message));
}
