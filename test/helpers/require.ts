/**
 * Which external peers a test needs. Outside CI a missing peer skips the test with a
 * reason; in CI (CI=true, where .ci/run installs every peer) nothing is skipped, so a
 * missing peer fails the run instead of quietly shrinking it.
 */
import { spawnSync } from 'node:child_process';

const IN_CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

export function haveCommand(cmd: string, args: string[] = ['-v']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error === undefined;
}

/** A `skip` option for node:test: false, or the reason (never in CI). */
export function needs(...cmds: string[]): false | string {
  const missing = cmds.filter((c) => !haveCommand(c, c === 'kamailio' ? ['-v'] : ['--version']) && !haveCommand(c));
  if (missing.length === 0 || IN_CI) return false;
  return `${missing.join(', ')} not installed (.ci/run installs it)`;
}

/** A skip reason computed elsewhere, dropped in CI (the test then runs, and fails if the peer is missing). */
export function unlessCi(reason: string | null | undefined | false): false | string {
  return !reason || IN_CI ? false : reason;
}

export { IN_CI };
