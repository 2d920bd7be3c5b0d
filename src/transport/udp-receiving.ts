import type dgram from 'node:dgram';

interface DgramState {
  handle?: { recvStop?: () => number; recvStart?: () => number; fd?: number };
  receiving?: boolean;
}

/**
 * dgram's private state of a socket: node has no public call to hold reading (dgram.Socket
 * reads from bind to close) nor to name its descriptor, so these reach the handle the way
 * dgram's own bind() and close() do. Undefined on a Node version where it is not there.
 */
function stateOf(sock: dgram.Socket): DgramState | undefined {
  const sym = Object.getOwnPropertySymbols(sock).find((x) => x.description === 'state symbol');
  return sym ? (sock as unknown as Record<symbol, DgramState>)[sym] : undefined;
}

/** Stops or restarts reading a bound datagram socket, keeping it for sending; false when it cannot. */
export function setReceiving(sock: dgram.Socket, on: boolean): boolean {
  const state = stateOf(sock);
  const h = state?.handle;
  if (!state || typeof h?.recvStop !== 'function' || typeof h.recvStart !== 'function') return false;
  if (state.receiving === on) return true;
  if (on) h.recvStart();
  else h.recvStop();
  state.receiving = on;
  return true;
}

/** The descriptor of a bound datagram socket (also one node:cluster handed this worker); -1 when unknown. */
export function socketFd(sock: dgram.Socket): number {
  const fd = stateOf(sock)?.handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}
