/**
 * A Unix datagram socket. Node's dgram has no AF_UNIX, so it comes from node-unix-socket,
 * a native module loaded on first use: only a `unixd:` control socket, a jsonrpcs
 * datagram path or systemd's notify socket needs it, and a start without them never pays
 * its loading.
 */
import type { DgramSocket } from 'node-unix-socket';

export function unixDgramSocket(): DgramSocket {
  const { DgramSocket: Socket } = require('node-unix-socket') as typeof import('node-unix-socket');
  return new Socket();
}
