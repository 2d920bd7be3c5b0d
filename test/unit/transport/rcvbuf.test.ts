/**
 * The receive-buffer probe against a socket that behaves as Linux does: SO_RCVBUF is
 * stored doubled, capped at twice rmem_max, and reported as stored. The e2e test
 * (udp-maxbuffer) compares the real sockets of dsd and Kamailio.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { probeReceiveBuffer } from '../../../src/transport/rcvbuf';

function linuxSocket(rmemDefault: number, rmemMax: number, failAbove = Infinity) {
  let stored = rmemDefault;
  const asked: number[] = [];
  return {
    asked,
    getRecvBufferSize: () => stored,
    setRecvBufferSize(n: number) {
      asked.push(n);
      if (n > failAbove) throw new Error('EINVAL');
      stored = 2 * Math.min(n, rmemMax);
    },
  };
}

describe('probeReceiveBuffer (Kamailio probe_max_receive_buffer)', () => {
  it('Debian defaults: 212992 grows in 2 KB steps to maxbuffer 256 KB, stored as 512 KB', () => {
    const s = linuxSocket(212992, 4194304);
    assert.deepEqual(probeReceiveBuffer(s, 262144), { initial: 212992, final: 524288 });
    // the doubling overshot at once, so every step was linear
    assert.equal(s.asked[0], 215040);
    assert.equal(s.asked.at(-1), 262144);
    assert.equal(s.asked.length, 24);
  });

  it('a large maxbuffer doubles first, then steps up to it', () => {
    const s = linuxSocket(212992, 4194304);
    assert.equal(probeReceiveBuffer(s, 4194304).final, 8388608);
    assert.deepEqual(s.asked.slice(0, 4), [425984, 851968, 1703936, 3407872]);
    assert.equal(s.asked.at(-1), 4194304);
  });

  it('rmem_max caps it: Linux reports twice the cap, which satisfies the steps up to it', () => {
    const s = linuxSocket(212992, 300000);
    assert.equal(probeReceiveBuffer(s, 1048576).final, 600000);
  });

  it('never lowered: a kernel default above maxbuffer stays, and maxbuffer 0 changes nothing', () => {
    const big = linuxSocket(1048576, 4194304);
    assert.equal(probeReceiveBuffer(big, 262144).final, 1048576);
    assert.deepEqual(big.asked, []);
    const zero = linuxSocket(212992, 4194304);
    assert.equal(probeReceiveBuffer(zero, 0).final, 212992);
  });

  it('a refused size ends the doubling; the linear steps then stop at the next refusal', () => {
    const s = linuxSocket(212992, 4194304, 1000000);
    const r = probeReceiveBuffer(s, 4194304);
    // 851968 took, 1703936 was refused: back to 851968 and up in 2 KB steps to the limit
    assert.equal(r.final, 2 * 999424);
    assert.ok(s.asked.includes(1703936));
  });
});
