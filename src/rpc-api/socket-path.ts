// Where the control socket lives. dsd and dsctl both call defaultControlSocketPath() so that,
// with no option given, they meet at the same file:
//   1. $DSD_CTL (a path or Kamailio's `unix:/path`), if set;
//   2. /run/dsd/dsd_ctl, if /run/dsd exists (packaged installs, systemd RuntimeDirectory=dsd)
//      or the caller is root (dsd then creates /run/dsd);
//   3. $XDG_RUNTIME_DIR/dsd_ctl for an unprivileged user with a runtime dir;
//   4. <os.tmpdir()>/dsd-<uid>/dsd_ctl otherwise.
// The cfg's modparam("ctl", "binrpc", "unix:/path") and dsctl's -s override it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DsdError } from '../core/errors';

const SYSTEM_RUN_DIR = '/run/dsd';
const SOCKET_FILE_NAME = 'dsd_ctl';

export class UnsupportedCtlAddressError extends DsdError {
  constructor(readonly address: string) {
    super(
      'DSD_ERR_CTL_ADDRESS',
      `unsupported control address "${address}": only unix sockets (unix:/path or a plain path) are supported`,
    );
  }
}

/** Parses Kamailio's ctl address syntax: `unix:/path`, `unix:path`, or a bare path. tcp:/udp: are refused. */
export function parseCtlAddress(address: string): string {
  const a = address.trim();
  if (a === '') throw new UnsupportedCtlAddressError(address);
  const colon = a.indexOf(':');
  if (colon > 0 && !a.slice(0, colon).includes('/')) {
    const proto = a.slice(0, colon).toLowerCase();
    if (proto !== 'unix') throw new UnsupportedCtlAddressError(address);
    let p = a.slice(colon + 1);
    if (p.startsWith('//')) p = p.slice(1); // unix://run/x → /run/x
    if (p === '') throw new UnsupportedCtlAddressError(address);
    return p;
  }
  return a;
}

export interface SocketPathEnv {
  readonly env?: NodeJS.ProcessEnv;
  readonly uid?: number;
  readonly runDirExists?: (dir: string) => boolean;
  readonly tmpdir?: string;
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

export function defaultControlSocketPath(opts: SocketPathEnv = {}): string {
  const env = opts.env ?? process.env;
  if (env.DSD_CTL) return parseCtlAddress(env.DSD_CTL);
  const uid = opts.uid ?? (typeof process.getuid === 'function' ? process.getuid() : -1);
  const runDirExists = opts.runDirExists ?? isDirectory;
  if (uid === 0 || runDirExists(SYSTEM_RUN_DIR)) return path.join(SYSTEM_RUN_DIR, SOCKET_FILE_NAME);
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, SOCKET_FILE_NAME);
  return path.join(opts.tmpdir ?? os.tmpdir(), `dsd-${uid}`, SOCKET_FILE_NAME);
}
