/**
 * The handoff socket on real loopback sockets: a message crosses with where it came from
 * and how long it waited, strangers are dropped, and the socket's own queue-wait probes
 * never reach the handler.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { HandoffSocket, KIND_MESSAGE, type HandoffAddr } from '../../../src/workers/handoff';
import { waitUntil } from '../../helpers/wait';

describe('HandoffSocket', () => {
  it('carries the source and the wait; drops strangers; keeps its probes to itself', async () => {
    const got: Array<{ kind: number; addr: HandoffAddr; payload: string }> = [];
    const a = new HandoffSocket(
      () => undefined,
      () => undefined,
    );
    const b = new HandoffSocket(
      (kind, addr, payload) => got.push({ kind, addr, payload: payload.toString('latin1') }),
      () => undefined,
    );
    const stranger = dgram.createSocket('udp4');
    try {
      await a.bind();
      await b.bind();
      const peers = [
        { index: 0, port: a.port },
        { index: 1, port: b.port },
      ];
      a.setPeers(peers);
      b.setPeers(peers);
      const addr = { proto: 'tcp' as const, localId: 3, ip: '2001:db8::7', port: 5070, waited: 1234 };
      for (let i = 0; i < 50; i++) assert.equal(a.send(1, KIND_MESSAGE, addr, Buffer.from(`OPTIONS ${i}`)), true);
      await new Promise<void>((r) => stranger.send(Buffer.from('OPTIONS x'), b.port, '127.0.0.1', () => r()));
      await waitUntil(() => (got.length === 50 && b.stats.dropped === 1 ? true : null), {
        what: '50 messages and one drop',
        timeoutMs: 10_000,
      });
      assert.deepEqual(got[0], { kind: KIND_MESSAGE, addr, payload: 'OPTIONS 0' });
      assert.equal(got[49]!.payload, 'OPTIONS 49');
      // what b read sent probes through its own queue; they were consumed, not delivered
      await waitUntil(() => ((b.probeStats?.read ?? 0) >= 1 ? true : null), {
        what: "b's probe read back",
        timeoutMs: 10_000,
      });
      assert.equal(b.stats.received, 50);
      assert.equal(b.stats.dropped, 1);
      const capped = { ...addr, waited: 1e9 };
      a.send(1, KIND_MESSAGE, capped, Buffer.from('late'));
      const late = await waitUntil(() => got.find((g) => g.payload === 'late') ?? null, {
        what: 'the capped message',
        timeoutMs: 10_000,
      });
      assert.equal(late.addr.waited, 0xffff, 'a wait past the field is capped, not wrapped');
    } finally {
      a.close();
      b.close();
      stranger.close();
    }
  });
});
