/**
 * The V8 flags a process that carries SIP runs with. They can only take effect on node's
 * command line (or NODE_OPTIONS): `v8.setFlagsFromString` after start leaves the heap as
 * it was sized. So they reach the process three ways: bin/dsd's `#!` line (`dsd`,
 * `/usr/bin/dsd`, the systemd unit), the workers' `execArgv` (primary.ts), and the
 * benchmarks and tests, which run `node <flags> bin/dsd`. test/unit/daemon/node-flags.test.ts
 * holds the `#!` line to this list. The build makes the code cache under them too (V8
 * refuses a cache made under other flags: scripts/bundle.js).
 *
 * `--max-semi-space-size=4` (MB; node 20's default grows to 16; V8 starts the young
 * generation at 1 MB and grows it only while much survives). A call's objects die young.
 * Session 8 chose 2 (against 16, 1000 cps: CPU 0.95x, p99 5.5 vs 8.0 ms), when every
 * finished transaction lingered as objects. Since lingering transactions are rows
 * (linger.ts), what survives a scavenge is the calls in flight, and a higher ceiling lets
 * them die young when the reader falls behind. Session 21 (bench/PROFILE.md): at 6000 cps
 * (`-n 4`) 4 and 8 MB had a p99 of 6-9 ms where 2 MB had 6-13; at 2000 cps (`-n 1`) 8 MB
 * cost 1-2 ms of p99, 3 % CPU and 13 MB of RSS against 2, and 4 MB the same as 2 within
 * the noise (RSS +5 MB).
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
 *
 * `--heap-growing-percent=300`: after a full collection the old generation may grow to 4x
 * what survived it (V8's own upper factor) before the next. V8 chose ~1.2x here: the old
 * generation is small (~12 MB of code and modules that never die) and collecting it looks
 * cheap, so at 6000 calls/s the reader marked those 12 MB every ~4 s, 13-15 ms of marking
 * on its thread within ~40 ms, each time an episode of 10-20 ms in the tail. At 4x it does
 * so every ~10-15 s (what is promoted is a few MB a second of calls caught in flight).
 * Session 22 (bench/PROFILE.md): `-n 4` 6000 cps p99 3.7-8.0 ms (12 runs) against 6.9-11.0
 * (7), the same CPU; RSS the same at 1000-2000 calls/s, +7 MB for one process at 6000.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=4',
  '--no-memory-reducer',
  '--single-threaded-gc',
  '--heap-growing-percent=300',
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
