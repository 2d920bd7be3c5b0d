/**
 * What module functions reach at run time. The registry is filled before the config is
 * compiled (it needs the functions' signatures), but the core and the dispatcher exist
 * only after the config said where to listen — so registrations close over this holder
 * and the daemon fills it before the first message.
 */
import type { ProxyCore } from '../proxy/core';
import type { RequestContext } from '../proxy/context';
import type { DispatcherRuntime } from './dispatcher/runtime';
import type { AccRuntime } from './acc/runtime';
import type { Logger } from '../core/log';
import type { WsTransport } from '../transport/ws';
import type { HttpServer } from '../transport/http';
import type { ScriptRegistry } from '../script';

export interface Services {
  core: ProxyCore | null;
  dispatcher: DispatcherRuntime | null;
  /** Set when the cfg loads acc. */
  acc?: AccRuntime | null;
  /** xhttp: HTTP on the TCP/TLS listen sockets, when xhttp.so (or websocket.so) is loaded. */
  xhttp?: HttpServer | null;
  /** websocket: the WebSocket transport, when websocket.so is loaded. */
  websocket?: WsTransport | null;
  log: Logger;
  /**
   * True while the start-up warm-up runs synthetic calls: a module that keeps state of its
   * own (pike's tree) uses a throwaway copy then.
   */
  warming?: boolean;
  /** RPC methods modules add to the control socket when their module is loaded. */
  rpc?: ModuleRpc[];
}

export interface ModuleRpc {
  readonly module: string;
  readonly name: string;
  /** Positional arguments as the client sent them; returns the result or throws an RpcError. */
  readonly handler: (args: readonly unknown[]) => unknown;
}

export type Reg = ScriptRegistry<RequestContext>;

/** The core; a function running before the daemon started is a programming error. */
export function coreOf(svc: Services): ProxyCore {
  if (!svc.core) throw new Error('SIP core not started');
  return svc.core;
}

export function dispatcherOf(svc: Services): DispatcherRuntime {
  if (!svc.dispatcher) throw new Error('dispatcher not started');
  return svc.dispatcher;
}
