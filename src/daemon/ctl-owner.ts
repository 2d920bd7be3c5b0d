/**
 * ctl's `mode`, `user` and `group` parameters (read in modules/ctl/params.ts) applied as
 * Kamailio applies them: the permissions and owner of the control socket file. Names are looked up in /etc/passwd and /etc/group (Node
 * has no getpwnam); numbers are taken as ids. Changing the owner needs root or CAP_CHOWN.
 */
import fs from 'node:fs';
import { DsdError } from '../core/errors';
import type { CtlSocketAccess } from '../modules/ctl/params';

class CtlAccessError extends DsdError {
  constructor(message: string) {
    super('DSD_ERR_CTL_ACCESS', message);
  }
}

function lookup(file: string, name: string, what: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    /* no such database: the name is unknown */
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  throw new CtlAccessError(`modparam("ctl", "${what}", "${name}"): no such ${what} in ${file}`);
}

export function applyCtlOwner(socketPath: string, a: CtlSocketAccess): void {
  if (a.user === null && a.group === null) return;
  const uid = a.user !== null ? lookup('/etc/passwd', a.user, 'user') : -1;
  const gid = a.group !== null ? lookup('/etc/group', a.group, 'group') : -1;
  fs.chownSync(socketPath, uid, gid);
}
