import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { benchScript, defaultBenchConfig } from '../../../src/script/bench-script';
import * as fs from 'node:fs';

describe('script micro-benchmark', () => {
  it('finds the sample config and reports a positive ns/op', () => {
    assert.ok(fs.existsSync(defaultBenchConfig()));
    const r = benchScript({ iterations: 2000, warmup: 200 });
    assert.equal(r.iterations, 2000);
    assert.ok(r.nsPerOp > 0 && Number.isFinite(r.nsPerOp));
    assert.ok(Math.abs(r.opsPerSec * r.nsPerOp - 1e9) < 1);
  });
});
