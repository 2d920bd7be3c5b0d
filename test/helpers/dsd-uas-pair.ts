/**
 * A dsd in front of two sipp UAS backends (set 1 of its list), on fresh ports: the
 * backends are up before dsd starts, and dsd must stop cleanly (exit 0) when `fn` is done,
 * whatever happened; then the backends stop.
 */
import assert from 'node:assert/strict';
import { startDsd, basicCfg, destinationList, type Dsd, type DsdOptions } from './daemon';
import { freePorts } from './ports';
import { withUasPair } from './sipp';

export interface DsdBeforeUasPair {
  readonly dsd: Dsd;
  /** dsd's UDP port. */
  readonly px: number;
  /** Free ports for a sipp caller and its control socket. */
  readonly uac: number;
  readonly cp: number;
  /** The backends' SIP ports. */
  readonly b1: number;
  readonly b2: number;
}

export async function withDsdBeforeUasPair(
  o: Omit<DsdOptions, 'cfg' | 'list'>,
  fn: (p: DsdBeforeUasPair) => Promise<void>,
): Promise<void> {
  const [px, uac, cp, b1, b2, c1, c2] = await freePorts(7);
  await withUasPair({ b1, b2, c1, c2 }, async () => {
    const dsd = await startDsd({
      cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`] }),
      list: destinationList([b1, b2]),
      ...o,
    });
    try {
      await fn({ dsd, px, uac, cp, b1, b2 });
    } finally {
      assert.equal(await dsd.stop(), 0, dsd.output().slice(-3000));
    }
  });
}
