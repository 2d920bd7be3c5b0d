// dsd-test: alone — sipp at 200 cps through dsd, UDP read natively and by node's dgram (scripts/run-tests.js)
/**
 * The two UDP paths of the listen sockets (src/transport/udp-native.ts): native/udpio
 * (recvmmsg batches, sendto) and node's dgram (DSD_UDP_NATIVE=0). The same calls through
 * each, in one process and with two workers (the reader switches the native reader of a
 * socket node:cluster shared), over real loopback sockets with sipp on both sides: every
 * call completes, the load is split as round robin asks, and the log says which path read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDsd, basicCfg, destinationList } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { runUac, UAC_XML, num, withUasPair } from '../helpers/sipp';

const CASES = [
  {
    name: 'native/udpio, one process',
    env: {},
    args: [],
    says: /read and written with recvmmsg\/sendto \(native\/udpio\)/,
  },
  {
    name: "node's dgram (DSD_UDP_NATIVE=0), one process",
    env: { DSD_UDP_NATIVE: '0' },
    args: [],
    says: /read and written with node's dgram \(DSD_UDP_NATIVE=0\)/,
  },
  {
    name: 'native/udpio, two workers',
    env: {},
    args: ['-n', '2'],
    says: /read and written with recvmmsg\/sendto \(native\/udpio\)/,
  },
];

for (const c of CASES) {
  test(`${c.name}: 600 calls at 200 cps, none failed, split 300/300`, { timeout: 240_000 }, async () => {
    const [px, b1, b2, uac, c1, c2, c3] = await freePorts(7);
    const dsd = await startDsd({
      cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`], params: ['modparam("tm", "fr_timer", 15000)'] }),
      list: destinationList([b1, b2]),
      env: { ...process.env, ...c.env },
      args: c.args,
    });
    try {
      assert.match(dsd.output(), c.says);
      await withUasPair({ b1, b2, c1, c2 }, async (uas1, uas2) => {
        const r = await runUac({
          scenario: UAC_XML,
          port: uac,
          controlPort: c3,
          remote: `127.0.0.1:${px}`,
          calls: 600,
          rate: 200,
          timeoutMs: 90_000,
        });
        assert.equal(num(r.stats, 'SuccessfulCall(C)'), 600, r.output.slice(-2000));
        assert.equal(num(r.stats, 'FailedCall(C)'), 0);
        assert.equal(r.code, 0);
        assert.equal(num(await uas1.stop(), 'IncomingCall(C)'), 300);
        assert.equal(num(await uas2.stop(), 'IncomingCall(C)'), 300);
      });
    } finally {
      await dsd.stop();
    }
  });
}
