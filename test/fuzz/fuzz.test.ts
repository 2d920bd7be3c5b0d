/**
 * The fuzz targets in every test run: each replays its regression inputs (every crash
 * ever found, fixed) and then fuzzes for a bounded short time (DSD_FUZZ_MS, default
 * 3000 ms per target) from its seed corpus, in a worker under a per-input time limit
 * (DSD_FUZZ_INPUT_MS, default 5000 ms). `npm run fuzz` is the long run. The engine itself is
 * checked on a planted bug that only coverage guidance finds in that time, and on planted
 * hangs: one that never returns and one that returns too late are both reported.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { fuzz, FuzzTarget } from './engine';
import { TARGETS } from './targets';
import { seedsOf, regressionsOf, saveInput } from './corpus-files';
import { planted } from './planted';
import { fuzzInWorker } from './worker-run';
import { TARGETS as HANGS } from './planted-hang';
import path from 'node:path';

const MS = Number(process.env.DSD_FUZZ_MS ?? 3000);
const INPUT_MS = Number(process.env.DSD_FUZZ_INPUT_MS ?? 5000);

describe('fuzz targets (short run)', { timeout: 120_000 }, () => {
  for (const t of TARGETS) {
    test(`${t.name}: regressions replay without a crash, then ${MS} ms of fuzzing finds none`, async () => {
      for (const r of regressionsOf(t.name)) {
        assert.doesNotThrow(() => t.run(r.data), `regression ${t.name}/${r.name}`);
      }
      const seeds = seedsOf(t.name);
      assert.ok(seeds.length > 0, `no seed corpus in test/fuzz/corpus/${t.name}`);
      const r = await fuzzInWorker({
        module: path.join(__dirname, 'targets'),
        target: t.name,
        seeds,
        ms: MS,
        inputTimeoutMs: INPUT_MS,
      });
      if (r.crash) {
        const file = saveInput('crashes', t.name, r.crash.input);
        assert.fail(
          `${t.name} crashed on ${JSON.stringify(r.crash.input.toString('latin1'))} (saved to ${file}):\n${r.crash.error}`,
        );
      }
      assert.ok(r.execs > seeds.length, `${t.name}: only ${r.execs} executions`);
    });
  }
});

// with its three bytes as dictionary tokens (what comparison tracing gives libFuzzer), a blind
// mutator must land all four at once (about one input in 10^5); guided, each is kept once found
test('the engine is coverage-guided: it finds a bug behind three nested byte checks', { timeout: 120_000 }, () => {
  const t: FuzzTarget = {
    name: 'planted',
    maxLen: 8,
    dictionary: ['d', 's', '!'],
    run: planted,
    coverage: '/dist/test/fuzz/planted',
  };
  const r = fuzz(t, [Buffer.from('xxxx')], 60_000, 12345);
  assert.ok(r.crash, `no crash after ${r.execs} executions`);
  assert.equal(r.crash.input.subarray(0, 4).toString('latin1'), 'dsd!');
  assert.ok(r.execs < 20_000, `found only after ${r.execs} executions`);
});

describe('per-input time limit', { timeout: 120_000 }, () => {
  test('an input that never returns is reported as a timeout with that input, and the run ends', async () => {
    const r = await fuzzInWorker({
      module: path.join(__dirname, 'planted-hang'),
      target: 'planted-hang',
      seeds: [Buffer.from('xxxx'), Buffer.from('hang')],
      ms: 600_000, // far beyond the test's deadline: only the watchdog can end this run
      inputTimeoutMs: 1000,
    });
    assert.ok(r.crash, 'no crash reported');
    assert.equal(r.crash.kind, 'timeout');
    assert.equal(r.crash.input.toString('latin1'), 'hang');
    assert.match(r.crash.error, /without returning/);
  });

  test('an input that returns past the limit is reported as a timeout', () => {
    const r = fuzz(HANGS[0]!, [Buffer.from('xxxx'), Buffer.from('slow')], 60_000, { seed: 1, inputTimeoutMs: 100 });
    assert.ok(r.crash, 'no crash reported');
    assert.equal(r.crash.kind, 'timeout');
    assert.equal(r.crash.input.toString('latin1'), 'slow');
  });

  test('inputs within the limit are no timeout', async () => {
    const r = await fuzzInWorker({
      module: path.join(__dirname, 'planted-hang'),
      target: 'planted-hang',
      seeds: [Buffer.from('xxxx')],
      ms: 500,
      inputTimeoutMs: 5000,
    });
    assert.equal(r.crash, null);
    assert.ok(r.execs > 1);
  });
});
