/**
 * Cases of a describe block registered in an order drawn from the run's seed
 * (DSD_TEST_SEED, which scripts/run-tests.js sets and prints): a case that leans on state
 * an earlier case left behind fails in some run, and the seed repeats that order.
 */
import { it, type TestContext, type TestOptions } from 'node:test';
import { prng } from './prng';

type Fn = (t: TestContext) => Promise<void> | void;
type Opts = TestOptions;

export function testSeed(): number {
  const s = Number(process.env.DSD_TEST_SEED);
  return Number.isFinite(s) && process.env.DSD_TEST_SEED ? s : 1;
}

export interface ShuffledCases {
  it(name: string, fn: Fn): void;
  it(name: string, opts: Opts, fn: Fn): void;
  /** Registers the collected cases with node:test, shuffled; call at the end of the describe body. */
  register(): void;
}

export function shuffledCases(seed = testSeed()): ShuffledCases {
  const cases: Array<{ name: string; opts: Opts; fn: Fn }> = [];
  return {
    it(name: string, a: Opts | Fn, b?: Fn) {
      if (typeof a === 'function') cases.push({ name, opts: {}, fn: a });
      else cases.push({ name, opts: a, fn: b! });
    },
    register() {
      const next = prng(seed); // as scripts/run-tests.js orders the files
      for (let i = cases.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [cases[i], cases[j]] = [cases[j]!, cases[i]!];
      }
      for (const c of cases) it(c.name, c.opts, c.fn);
    },
  };
}
