/** RFC 2782 ordering of SRV records: priority first, weights within a priority. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { orderSrv } from '../../../src/dns/resolver';

describe('orderSrv', () => {
  it('lower priority values always come first', () => {
    const rs = [
      { name: 'c', priority: 30, weight: 100 },
      { name: 'a', priority: 10, weight: 0 },
      { name: 'b', priority: 20, weight: 5 },
    ];
    for (let i = 0; i < 50; i++)
      assert.deepEqual(
        orderSrv(rs).map((r) => r.name),
        ['a', 'b', 'c'],
      );
  });

  it('within a priority, the first pick follows the weights', () => {
    const rs = [
      { name: 'heavy', priority: 1, weight: 90 },
      { name: 'light', priority: 1, weight: 10 },
    ];
    let seed = 42;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    let heavy = 0;
    for (let i = 0; i < 10000; i++) if (orderSrv(rs, rnd)[0]!.name === 'heavy') heavy++;
    assert.ok(heavy > 8700 && heavy < 9300, `heavy first ${heavy} of 10000`);
  });

  it('every record appears once; zero weights still get a place', () => {
    const rs = [
      { name: 'z', priority: 1, weight: 0 },
      { name: 'w', priority: 1, weight: 10 },
    ];
    assert.deepEqual(
      orderSrv(rs, () => 0.99)
        .map((r) => r.name)
        .sort(),
      ['w', 'z'],
    );
  });
});
