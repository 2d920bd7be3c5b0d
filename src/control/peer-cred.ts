/**
 * Who is on the other end of a control connection, for the audit line. Read only for calls
 * that change something (the method registry asks lazily), never for reads.
 *
 * Unix stream sockets (dsctl, kamcmd): the kernel's SO_PEERCRED — uid, gid and pid of the
 * process that called connect(), recorded at that moment, so a peer that has exited since
 * is still named. Node has no getsockopt(), so a short `perl` (perl-base is Essential in
 * Debian) is handed a duplicate of the accepted socket as its stdin and prints the three
 * numbers; about 10–15 ms, in parallel with the call itself. This needs no privilege: a
 * /proc scan (socket inode → peer inode → the process holding it) would fail exactly when
 * dsd runs as its own user and root calls, since another user's /proc/PID/fd is unreadable.
 *
 * Unix datagram sockets (kamcmd -s unixd:, jsonrpcs' datagram transport): a datagram has no
 * connection; the sender's own bound socket file, whose owner the kernel set to the sender
 * when it bound it, names the uid (no pid).
 *
 * The jsonrpcs FIFO: whoever may write the FIFO (fifo_mode/user/group) can; nothing names
 * the writer. The owner of the reply FIFO the request names is who will read the answer
 * (kamctl and kamcli create it as the calling user): a claim, logged as such, not a proof.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import * as fs from 'node:fs';
import type * as net from 'node:net';
import type { Readable } from 'node:stream';

export interface PeerCred {
  readonly uid: number | null;
  readonly gid: number | null;
  readonly pid: number | null;
  /** How they were learned: SO_PEERCRED, sender socket owner, reply FIFO owner. */
  readonly source: string | null;
  /** Why they are unknown (uid null). */
  readonly error?: string;
}

export const unknownPeer = (error: string): PeerCred => ({ uid: null, gid: null, pid: null, source: null, error });

/** Kills a perl that has not answered by then (it never blocks, but the box may be starved). */
const PERL_TIMEOUT_MS = 5000;
const PERL_PEERCRED =
  'use Socket; my $c = getsockopt(STDIN, SOL_SOCKET, SO_PEERCRED) or die "getsockopt: $!\\n"; ' +
  'my ($pid, $uid, $gid) = unpack("iII", $c); print "$pid $uid $gid\\n";';

/** SO_PEERCRED of a connected Unix stream socket. Never throws: unknown peers say why. */
export function socketPeerCred(socket: net.Socket, perl = 'perl'): Promise<PeerCred> {
  if (socket.destroyed) return Promise.resolve(unknownPeer('connection closed before its credentials were read'));
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    let settled = false;
    const done = (c: PeerCred): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(c);
    };
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      // the child gets its own duplicate of the socket as fd 0; ours is untouched
      child = spawn(perl, ['-e', PERL_PEERCRED], { stdio: [socket, 'pipe', 'pipe'] });
    } catch (e) {
      resolve(unknownPeer(`cannot read SO_PEERCRED: ${(e as Error).message}`));
      return;
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done(unknownPeer(`cannot read SO_PEERCRED: ${perl} did not answer within ${PERL_TIMEOUT_MS} ms`));
    }, PERL_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', (e: NodeJS.ErrnoException) =>
      done(
        unknownPeer(
          e.code === 'ENOENT'
            ? `cannot read SO_PEERCRED: ${perl} not found (dsd reads it with perl)`
            : `cannot read SO_PEERCRED: ${e.message}`,
        ),
      ),
    );
    child.on('close', (code) => {
      const m = /^(-?\d+) (\d+) (\d+)$/.exec(out.trim());
      if (code === 0 && m) {
        const pid = Number(m[1]);
        done({ uid: Number(m[2]), gid: Number(m[3]), pid: pid > 0 ? pid : null, source: 'SO_PEERCRED' });
      } else done(unknownPeer(`cannot read SO_PEERCRED: ${err.trim() || `${perl} exited with ${code}`}`));
    });
  });
}

/**
 * The owner of a file a peer made: its bound datagram socket, or its reply FIFO. `kind`
 * is what the file must be; anything else (a link, a regular file) names nobody.
 */
export function fileOwnerCred(file: string, kind: 'socket' | 'fifo'): PeerCred {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return unknownPeer(`${file}: ${code === 'ENOENT' ? 'gone before its owner was read' : (e as Error).message}`);
  }
  const ok = kind === 'socket' ? st.isSocket() : st.isFIFO();
  if (!ok) return unknownPeer(`${file} is not a ${kind === 'socket' ? 'socket' : 'FIFO'}`);
  return {
    uid: st.uid,
    gid: st.gid,
    pid: null,
    source: kind === 'socket' ? 'sender socket owner' : 'reply FIFO owner',
  };
}
