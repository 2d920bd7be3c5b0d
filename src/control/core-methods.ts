// The methods every dsd answers whatever modules are loaded: core.version, core.uptime,
// core.ps, system.listMethods, system.methodHelp, and tm.stats when tm hands over a provider.
// Shapes follow Kamailio 5.6.3 (see ../shared/golden/kamcmd-misc.txt).
import { RpcError } from '../rpc-api/errors';
import type { UptimeResult } from '../rpc-api/results';
import { ctime } from './ctime';
import type { MethodRegistry } from './registry';
import { tmStatsResult, type TmStatsProvider } from './tm-stats';

interface ProcessInfo {
  readonly pid: number;
  readonly description: string;
}

export interface CoreMethodsOptions {
  /** Product name in core.version; "dsd". */
  readonly name?: string;
  readonly version: string;
  /** When the daemon started (core.uptime's up_since). */
  readonly startedAt: Date;
  /** Clock, for tests. */
  readonly now?: () => Date;
  /** node's process.arch / process.platform by default. */
  readonly arch?: string;
  readonly platform?: string;
  /** core.ps; by default only this process as "main process - attendant". */
  readonly processes?: () => readonly ProcessInfo[];
  /** tm.stats is registered only when given. */
  readonly tmStats?: TmStatsProvider;
}

const ARCH_NAMES: Readonly<Record<string, string>> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  ia32: 'i386',
  ppc64: 'ppc64',
  s390x: 's390x',
};

/** `dsd 0.1.0 (x86_64/linux) ` — the trailing space is Kamailio's, kept for scripts that split on it. */
export function versionString(name: string, version: string, arch: string, platform: string): string {
  return `${name} ${version} (${ARCH_NAMES[arch] ?? arch}/${platform}) `;
}

export function uptimeResult(startedAt: Date, now: Date): UptimeResult {
  return {
    now: ctime(now),
    up_since: ctime(startedAt),
    uptime: Math.max(0, Math.floor(now.getTime() / 1000) - Math.floor(startedAt.getTime() / 1000)),
  };
}

export function registerCoreMethods(registry: MethodRegistry, opts: CoreMethodsOptions): void {
  const now = opts.now ?? (() => new Date());
  const version = versionString(
    opts.name ?? 'dsd',
    opts.version,
    opts.arch ?? process.arch,
    opts.platform ?? process.platform,
  );
  const processes = opts.processes ?? (() => [{ pid: process.pid, description: 'main process - attendant' }]);

  registry.register('core.version', () => version);
  registry.register('core.uptime', () => uptimeResult(opts.startedAt, now()));
  registry.register('core.ps', () => processes().flatMap((p) => [p.pid, p.description]));
  // kamctl ps calls core.psx: one {IDX, PID, DSC} per process
  registry.register('core.psx', () => processes().map((p, i) => ({ IDX: i, PID: p.pid, DSC: p.description })), {
    help: 'Returns the detailed description of running processes.',
    params: null,
  });
  registry.register('system.listMethods', () => registry.list());
  registry.register(
    'system.methodHelp',
    (call) => {
      const name = call.args[0];
      if (typeof name !== 'string' || name === '') throw RpcError.of('methodNameExpected');
      const help = registry.help(name);
      if (help === undefined) throw RpcError.of('commandNotFound');
      return help;
    },
    // Kamailio answers 400 "Method Name Expected" rather than the generic "Invalid Parameters".
    { params: null },
  );
  // Kamailio scans every parameter as a string and adds it back.
  registry.register(
    'core.echo',
    (call) =>
      call.args.map((a) =>
        a === null || a === undefined ? '' : typeof a === 'object' ? JSON.stringify(a) : String(a),
      ),
    { params: null },
  );
  registry.register('core.info', () => ({
    version: `${opts.name ?? 'dsd'} ${opts.version}`,
    id: 'unknown',
    compiler: `node ${process.version}`,
    compiled: 'unknown',
    flags: `${ARCH_NAMES[opts.arch ?? process.arch] ?? process.arch}/${opts.platform ?? process.platform}`,
  }));
  const tm = opts.tmStats;
  if (tm) registry.register('tm.stats', () => tmStatsResult(tm.snapshot()));
}
