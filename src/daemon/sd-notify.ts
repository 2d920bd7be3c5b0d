/**
 * systemd's readiness protocol (sd_notify(3)): under Type=notify, systemd passes the path
 * of a Unix datagram socket in $NOTIFY_SOCKET and waits for "READY=1" before it calls the
 * service started; "STOPPING=1" says a stop began, "STATUS=…" is shown by systemctl status.
 * Node's dgram has no AF_UNIX, so the datagram goes out through node-unix-socket (already
 * dsd's for jsonrpcs' dgram transport) rather than by running systemd-notify, which would
 * report its own pid instead of ours (NotifyAccess=main would drop it).
 * Without $NOTIFY_SOCKET (not under systemd) every call does nothing.
 */
import type { DgramSocket } from 'node-unix-socket';
import { unixDgramSocket } from '../core/unix-dgram';

const NOTIFY_ENV = 'NOTIFY_SOCKET';

let socket: DgramSocket | null = null;

/** An abstract socket is written "@name" in the variable and "\0name" on the wire. */
function socketPath(v: string): string {
  return v.startsWith('@') ? `\0${v.slice(1)}` : v;
}

/** Sends one notification ("READY=1\nSTATUS=…"); resolves false when there is no socket or it failed. */
export function sdNotify(state: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const where = env[NOTIFY_ENV];
  if (!where) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      if (!socket) {
        socket = unixDgramSocket();
        socket.on('error', () => undefined);
      }
      const buf = Buffer.from(state);
      socket.sendTo(buf, 0, buf.length, socketPath(where), (err) => resolve(!err));
    } catch {
      resolve(false);
    }
  });
}
