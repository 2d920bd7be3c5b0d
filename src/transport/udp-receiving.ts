import type dgram from 'node:dgram';

/**
 * Stops or restarts reading a bound datagram socket, keeping it for sending. Node has no
 * public call for this (dgram.Socket reads from bind to close), so it reaches the handle
 * the way dgram's own bind() and close() do; false when that is not there (another Node
 * version).
 */
export function setReceiving(sock: dgram.Socket, on: boolean): boolean {
  const sym = Object.getOwnPropertySymbols(sock).find((x) => x.description === 'state symbol');
  const state = sym
    ? (
        sock as unknown as Record<
          symbol,
          { handle?: { recvStop?: () => number; recvStart?: () => number }; receiving?: boolean }
        >
      )[sym]
    : undefined;
  const h = state?.handle;
  if (!state || typeof h?.recvStop !== 'function' || typeof h.recvStart !== 'function') return false;
  if (state.receiving === on) return true;
  if (on) h.recvStart();
  else h.recvStop();
  state.receiving = on;
  return true;
}
