// What kamailio's command-line options mean in dsd: -n sets the children global, -u/-g drop
// to another user/group once every socket is open (as kamailio does after binding), -m/-M/-L
// have no use in a Node.js process and are accepted with one warning each, so a service
// line written for kamailio starts dsd unchanged.
import { execFileSync } from 'node:child_process';
import type { DaemonArgs } from './args';
import { DsdError } from '../core/errors';

export interface OptionLogger {
  warn(msg: string): void;
  info(msg: string): void;
}

const IGNORED_WHY: Readonly<Record<string, string>> = {
  '-m': 'shared memory size: dsd is one process and sizes its own heap',
  '-M': 'private memory size: dsd is one process and sizes its own heap',
  '-L': "module path: dsd's modules are built in",
};

export function warnIgnoredOptions(args: DaemonArgs, log: OptionLogger): void {
  for (const o of args.ignored) {
    const flag = o.split(' ')[0]!;
    log.warn(`option ${o} accepted for kamailio compatibility and ignored (${IGNORED_WHY[flag] ?? 'no use in dsd'})`);
  }
}

class PrivilegeError extends DsdError {
  constructor(message: string) {
    super('DSD_ERR_PRIVILEGE', message);
  }
}

function primaryGroup(user: string): string {
  try {
    return execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim();
  } catch {
    throw new PrivilegeError(`-u ${user}: no such user`);
  }
}

/** Switches to -g GROUP / -u USER (the user's own group when only -u is given). */
export function dropPrivileges(args: DaemonArgs, log: OptionLogger): void {
  if (args.user === null && args.group === null) return;
  if (typeof process.setuid !== 'function' || typeof process.setgid !== 'function') {
    throw new PrivilegeError('-u/-g: this platform cannot change user');
  }
  const group = args.group ?? (args.user !== null ? primaryGroup(args.user) : null);
  try {
    if (group !== null) {
      const gid = /^\d+$/.test(group) ? Number(group) : group;
      process.setgid(gid);
    }
    if (args.user !== null) process.setuid(/^\d+$/.test(args.user) ? Number(args.user) : args.user);
  } catch (e) {
    throw new PrivilegeError(
      `cannot run as ${args.user ?? ''}${group !== null ? `:${group}` : ''}: ${(e as Error).message}`,
    );
  }
  log.info(`running as uid ${process.getuid?.()} gid ${process.getgid?.()}`);
}
