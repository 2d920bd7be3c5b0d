import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { benchScript, defaultBenchConfig } from '../../../src/script/bench-script';
import * as fs from 'node:fs';

// The benchmark's figure means something only if every timed run walks the whole sample
// route to t_relay with a destination picked. A route that exits early (sanity or maxfwd
// rejecting the fake INVITE, a missing ds_select_dst) would still report a positive ns/op
// and fail here: the relay count and the round-robin picks would not add up.
describe('script micro-benchmark', () => {
  it('times the sample route end to end: every run picks a destination and relays', () => {
    assert.ok(fs.existsSync(defaultBenchConfig()));
    const r = benchScript({ iterations: 2000, warmup: 200 });
    assert.equal(r.iterations, 2000);
    assert.ok(r.nsPerOp > 0 && Number.isFinite(r.nsPerOp));
    assert.equal(r.relayed, 2200, 'warm-up and timed runs each reach t_relay with $du set');
    assert.deepEqual(r.picks, { 'sip:127.0.0.1:5080': 1100, 'sip:127.0.0.1:5081': 1100 });
  });
});
