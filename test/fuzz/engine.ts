/**
 * A small coverage-guided fuzzer (libFuzzer's loop) over V8's own block coverage.
 * Jazzer.js is the first choice but cannot run here: the prebuilt addon in
 * @jazzer.js/core 4.0.0 needs glibc 2.38 (Debian 12 has 2.36) and building it fetches
 * libFuzzer sources from the network; fast-check, the best-kept alternative on npm, is
 * property-based and not coverage-guided. So: inputs from a seed corpus are mutated
 * (bit flips, interesting bytes, insertions, deletions, duplications, splices, SIP and
 * cfg tokens); an input that reaches a block of dsd's code not reached before (or a block
 * a new power-of-two number of times) joins the corpus; an exception the target does not
 * declare expected is a crash. Coverage comes from the inspector's precise block coverage
 * (Profiler.takePreciseCoverage, which also resets the counters), limited to dist/src.
 */
import inspector from 'node:inspector';
import crypto from 'node:crypto';
import { prng } from '../helpers/prng';
import { at } from '../helpers/at';

/** A seeded PRNG (mulberry32), so a run can be repeated. */
export { prng };

export interface FuzzTarget {
  readonly name: string;
  /** Runs one input; throws only for a crash (expected errors are caught inside). */
  run(data: Buffer): void;
  /** Tokens the mutator inserts. */
  readonly dictionary: readonly string[];
  /** Largest input tried (bytes). */
  readonly maxLen: number;
  /** Whose code counts as coverage: script URLs containing this (default '/dist/src/'). */
  readonly coverage?: string;
}

export interface Crash {
  readonly target: string;
  readonly input: Buffer;
  readonly error: string;
  /** 'timeout': the input ran past the per-input time limit (a hang or a pathological slowdown). */
  readonly kind?: 'exception' | 'timeout';
}

export interface FuzzOptions {
  /** PRNG seed (default: the clock). */
  seed?: number;
  /** An input that takes longer than this (ms) is a crash of kind 'timeout' (default: no limit). */
  inputTimeoutMs?: number;
  /** Called with each input just before it runs (the worker runner publishes it for its watchdog). */
  onInput?: (input: Buffer) => void;
}

export interface FuzzResult {
  readonly target: string;
  readonly execs: number;
  readonly corpus: Buffer[];
  /** Inputs found in this run that reached new code. */
  readonly added: Buffer[];
  readonly features: number;
  readonly crash: Crash | null;
}

let session: inspector.Session | null = null;

function post<T>(method: string, params?: object): T {
  if (!session) {
    session = new inspector.Session();
    session.connect();
  }
  let out: T | undefined;
  let err: Error | null = null;
  // an in-process session answers synchronously, inside post()
  session.post(method, params ?? {}, (e, r) => {
    err = e;
    out = r as T;
  });
  if (err) throw err;
  if (out === undefined) throw new Error(`inspector ${method}: no synchronous answer`);
  return out;
}

interface CoverageResult {
  result: Array<{
    url: string;
    functions: Array<{ ranges: Array<{ startOffset: number; endOffset: number; count: number }> }>;
  }>;
}

let started = false;
function startCoverage(): void {
  if (started) return;
  started = true;
  post('Profiler.enable');
  post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
}
// Block counters exist only in code compiled after this: import the engine before the
// code under test.
startCoverage();

/** Features of what ran since the last call: covered blocks of dsd's code, with a hit-count bucket. */
function takeFeatures(scope = '/dist/src/'): string[] {
  const r = post<CoverageResult>('Profiler.takePreciseCoverage');
  const out: string[] = [];
  for (const s of r.result) {
    if (!s.url.includes(scope)) continue;
    const file = s.url.slice(s.url.lastIndexOf(scope) + scope.length);
    for (const f of s.functions) {
      // V8 reports a function's range and, inside it, the blocks whose count differs:
      // a block not run is a range with count 0, so where the unrun ranges start and end
      // tells how far execution got; both kinds are features
      if (at(f.ranges, 0).count === 0) continue;
      for (const rg of f.ranges) {
        out.push(
          `${file}:${rg.startOffset}:${rg.endOffset}:${rg.count === 0 ? '-' : 31 - Math.clz32(Math.min(rg.count, 1 << 16))}`,
        );
      }
    }
  }
  return out;
}

const INTERESTING = [
  0, 1, 9, 10, 13, 32, 34, 35, 36, 37, 39, 40, 41, 44, 58, 59, 60, 62, 64, 91, 92, 93, 123, 125, 127, 128, 255,
];

function mutate(src: Buffer, corpus: readonly Buffer[], t: FuzzTarget, rnd: () => number): Buffer {
  let b = Buffer.from(src);
  const n = 1 + Math.floor(rnd() * 4);
  const pos = (len: number): number => Math.floor(rnd() * (len + 1));
  for (let k = 0; k < n; k++) {
    switch (Math.floor(rnd() * 8)) {
      case 0:
        if (b.length) {
          const i = pos(b.length - 1);
          b[i] = at(b, i) ^ (1 << Math.floor(rnd() * 8));
        }
        break;
      case 1:
        if (b.length) b[pos(b.length - 1)] = at(INTERESTING, Math.floor(rnd() * INTERESTING.length));
        break;
      case 2: {
        const i = pos(b.length);
        b = Buffer.concat([b.subarray(0, i), crypto.randomBytes(1 + Math.floor(rnd() * 8)), b.subarray(i)]);
        break;
      }
      case 3:
        if (b.length) {
          const i = pos(b.length - 1);
          b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1 + Math.floor(rnd() * 16))]);
        }
        break;
      case 4:
        if (b.length) {
          const i = pos(b.length - 1);
          const j = Math.min(b.length, i + 1 + Math.floor(rnd() * 64));
          const at = pos(b.length);
          b = Buffer.concat([b.subarray(0, at), b.subarray(i, j), b.subarray(at)]);
        }
        break;
      case 5: {
        const o = at(corpus, Math.floor(rnd() * corpus.length));
        const i = pos(b.length);
        const j = pos(o.length);
        b = Buffer.concat([b.subarray(0, i), o.subarray(j)]);
        break;
      }
      default: {
        const tok = t.dictionary[Math.floor(rnd() * t.dictionary.length)] ?? '';
        const i = pos(b.length);
        b = Buffer.concat([b.subarray(0, i), Buffer.from(tok, 'latin1'), b.subarray(i)]);
        break;
      }
    }
  }
  return b.length > t.maxLen ? b.subarray(0, t.maxLen) : b;
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
}

/**
 * Fuzzes `t` for `ms` from `seeds`; stops at the first crash. An input that returns but took
 * longer than `inputTimeoutMs` is a crash too; one that never returns needs a watchdog in
 * another thread (fuzzInWorker in worker-run.ts).
 */
export function fuzz(t: FuzzTarget, seeds: readonly Buffer[], ms: number, opt: number | FuzzOptions = {}): FuzzResult {
  const o: FuzzOptions = typeof opt === 'number' ? { seed: opt } : opt;
  startCoverage();
  takeFeatures(); // drop what ran before
  const rnd = prng(o.seed ?? Date.now());
  const seen = new Set<string>();
  const corpus: Buffer[] = [];
  const added: Buffer[] = [];
  let execs = 0;
  const runOne = (input: Buffer): Crash | 'new' | 'old' => {
    execs++;
    o.onInput?.(input);
    const t0 = performance.now();
    try {
      t.run(input);
    } catch (e) {
      takeFeatures();
      return { target: t.name, input, error: describe(e), kind: 'exception' };
    }
    const took = performance.now() - t0;
    if (o.inputTimeoutMs !== undefined && took > o.inputTimeoutMs) {
      takeFeatures();
      const error = `timeout: one input ran ${Math.round(took)} ms (limit ${o.inputTimeoutMs} ms)`;
      return { target: t.name, input, error, kind: 'timeout' };
    }
    let fresh = false;
    for (const f of takeFeatures(t.coverage))
      if (!seen.has(f)) {
        seen.add(f);
        fresh = true;
      }
    return fresh ? 'new' : 'old';
  };
  for (const s of seeds.length ? seeds : [Buffer.alloc(0)]) {
    const r = runOne(s);
    if (typeof r === 'object') return { target: t.name, execs, corpus, added, features: seen.size, crash: r };
    corpus.push(s);
  }
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const parent = at(corpus, Math.floor(rnd() * corpus.length));
    const child = mutate(parent, corpus, t, rnd);
    const r = runOne(child);
    if (typeof r === 'object') return { target: t.name, execs, corpus, added, features: seen.size, crash: r };
    if (r === 'new') {
      corpus.push(child);
      added.push(child);
    }
  }
  return { target: t.name, execs, corpus, added, features: seen.size, crash: null };
}
