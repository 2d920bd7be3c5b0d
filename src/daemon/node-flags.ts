/**
 * The V8 flags a process that carries SIP runs with. They can only take effect on node's
 * command line (or NODE_OPTIONS): `v8.setFlagsFromString` after start leaves the heap as
 * it was sized. So they reach the process three ways: bin/dsd's `#!` line (`dsd`,
 * `/usr/bin/dsd`, the systemd unit), the workers' `execArgv` (primary.ts), and the
 * benchmarks and tests, which run `node <flags> bin/dsd`. test/unit/daemon/node-flags.test.ts
 * holds the `#!` line to this list. The build makes the code cache under them too (V8
 * refuses a cache made under other flags: scripts/bundle.js).
 *
 * `--max-semi-space-size=2` (MB; node 20's default grows to 16): a call's objects die
 * young, so a small young generation is scavenged more often but each scavenge is short
 * and stays in cache. Measured with bench:ab on the same build, 1000 cps, A/B alternating
 * (bench/PROFILE.md, session 8): `-n 1` CPU per call 0.95x, p99 5.5 vs 8.0 ms; `-n 4`
 * 0.95x, p99 6.0 vs 11.6 ms, RSS 420 vs 448 MB. 1 MB was worse than 2 (1.07x CPU), 4 MB
 * the same within the noise with 20 MB more RSS.
 *
 * `--no-memory-reducer`: V8's reducer collected every idle process ~8 s after the start,
 * beside the loaded reader; dsd asks for that collection itself when it suits
 * (full-gc.ts, heap-quiet.ts; bench/PROFILE.md, session 18).
 *
 * `--single-threaded-gc`: no GC helper threads. On a machine whose cores the callers and
 * the other workers share, the helpers of a parallel scavenge or a concurrent marking took
 * the core the reader's peers needed, for 9-22 ms at a time (perf sched). Every collection
 * on the main thread instead: CPU per call 0.93-0.96x at 1000-6000 cps, p99 at 3000 cps
 * 2.9 vs 4.2 ms (`-n 4`) and 5.1 vs 10.5 ms (`-n 1`), at 1000 cps within 0.1-0.2 ms
 * (bench/PROFILE.md, session 18).
 */
export const DAEMON_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=2',
  '--no-memory-reducer',
  '--single-threaded-gc',
];

function flagName(flag: string): string {
  const eq = flag.indexOf('=');
  // node takes --max-semi-space-size and --max_semi_space_size alike; --no-X sets X too
  return (eq < 0 ? flag : flag.slice(0, eq)).replaceAll('_', '-').replace(/^--no-/, '--');
}

/**
 * `execArgv` with each of DAEMON_NODE_FLAGS its owner did not set already, on the command
 * line or in NODE_OPTIONS: an operator's own value wins.
 */
export function withDaemonFlags(execArgv: readonly string[], nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].filter((a) => a.startsWith('--')).map(flagName));
  return [...execArgv, ...DAEMON_NODE_FLAGS.filter((f) => !given.has(flagName(f)))];
}
