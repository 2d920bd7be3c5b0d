/**
 * Planted hangs, for checking the fuzzer's per-input time limit: an input starting "hang"
 * never returns; one starting "slow" returns after 300 ms of busy work.
 */
import type { FuzzTarget } from './engine';

function plantedHang(b: Buffer): void {
  const head = b.subarray(0, 4).toString('latin1');
  if (head === 'hang') for (let i = 0; i >= 0; i = (i + 1) % 1000); // never ends
  if (head === 'slow') {
    const end = Date.now() + 300;
    while (Date.now() < end);
  }
}

export const TARGETS: FuzzTarget[] = [
  { name: 'planted-hang', maxLen: 8, dictionary: [], run: plantedHang, coverage: '/dist/test/fuzz/planted-hang' },
];
