/**
 * The queue-wait probe against a queue of its own making: what it sends lands at the end of
 * an array the test reads from, and its clock is the test's. The e2e test
 * (udp-queue-shed) runs it on real sockets under a reader held back by the script.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QueueWaitProbe, PROBE_MS } from '../../../src/transport/queue-wait';
import { waitUntil } from '../../helpers/wait';

function rig() {
  let now = 1000;
  const queue: Buffer[] = [];
  const probe = new QueueWaitProbe(
    (b) => queue.push(b),
    () => now,
  );
  const sip = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\n\r\n');
  return {
    probe,
    queue,
    sip,
    advance(ms: number) {
      now += ms;
    },
    /** Traffic, then its probe read at once: the reader has caught up, waits are measured. */
    arm() {
      probe.setReading(true);
      assert.equal(probe.take(sip), false);
      assert.equal(queue.length, 1);
      assert.equal(probe.take(queue.shift()!), true);
      now += PROBE_MS;
    },
    /** Reads the queue's head as the socket's reader would; true when it was a probe. */
    readHead(): boolean {
      const b = queue.shift();
      assert.ok(b, 'the queue is empty');
      return probe.take(b);
    },
  };
}

describe('QueueWaitProbe', () => {
  it('sends nothing and measures nothing while no datagram arrives', () => {
    const r = rig();
    r.probe.setReading(true);
    r.advance(500);
    assert.equal(r.queue.length, 0);
    assert.equal(r.probe.wait(), 0);
    r.probe.close();
  });

  it('the backlog before the first probe is not measured: it queued while nobody read', () => {
    const r = rig();
    r.probe.setReading(true);
    assert.equal(r.probe.take(r.sip), false, 'SIP is not a probe');
    assert.equal(r.queue.length, 1, 'the first datagram read sends a probe');
    r.advance(400);
    assert.equal(r.probe.wait(), 0);
    assert.equal(r.readHead(), true);
    assert.equal(r.probe.stats.lastWait, 400);
    r.probe.close();
  });

  it('a probe queued behind traffic: the wait grows with the clock until it is read', () => {
    const r = rig();
    r.arm();
    assert.equal(r.probe.take(r.sip), false, 'SIP is not a probe');
    assert.equal(r.queue.length, 1, 'traffic sends the next probe');
    r.advance(120);
    assert.equal(r.probe.wait(), 120);
    // more traffic read before the probe: one more probe, the oldest still counts
    r.probe.take(r.sip);
    assert.equal(r.queue.length, 2);
    r.advance(30);
    assert.equal(r.probe.wait(), 150);
    assert.equal(r.readHead(), true, 'the probe is consumed');
    assert.equal(r.probe.stats.lastWait, 150);
    assert.equal(r.probe.wait(), 30, 'the second probe, sent 30 ms ago, is the oldest now');
    assert.equal(r.readHead(), true);
    assert.equal(r.probe.wait(), 0);
    r.probe.close();
  });

  it('at most one probe per interval, however many datagrams are read', () => {
    const r = rig();
    r.arm();
    for (let i = 0; i < 10; i++) r.probe.take(r.sip);
    assert.equal(r.queue.length, 1);
    r.advance(PROBE_MS);
    r.probe.take(r.sip);
    assert.equal(r.queue.length, 2);
    r.probe.close();
  });

  it('a probe lost to a full buffer is dropped when a later one is read', () => {
    const r = rig();
    r.arm();
    r.probe.take(r.sip);
    r.queue.length = 0; // the kernel dropped it
    r.advance(PROBE_MS);
    r.probe.take(r.sip);
    r.advance(10);
    assert.equal(r.probe.wait(), 10 + PROBE_MS, 'the lost probe still looks outstanding');
    assert.equal(r.readHead(), true);
    assert.equal(r.probe.wait(), 0, 'reading the later probe retired both');
    r.probe.close();
  });

  it('another process’s probe (other nonce) is consumed and measures nothing', () => {
    const a = rig();
    const b = rig();
    a.arm();
    b.arm();
    b.probe.take(b.sip);
    a.probe.take(a.sip);
    a.advance(70);
    assert.equal(a.probe.take(b.queue[0]!), true);
    assert.equal(a.probe.wait(), 70, 'its own probe is still outstanding');
    assert.equal(a.probe.stats.read, 1, 'only the one arm() read');
    a.probe.close();
    b.probe.close();
  });

  it('lookalikes are SIP: wrong length or magic is not consumed', () => {
    const r = rig();
    r.arm();
    r.probe.take(r.sip);
    const real = r.queue[0]!;
    const longer = Buffer.concat([real, Buffer.from('x')]);
    const other = Buffer.from(real);
    other[3] = 0x52;
    assert.equal(r.probe.take(longer), false);
    assert.equal(r.probe.take(other), false);
    assert.equal(r.probe.take(Buffer.alloc(20)), false, 'a STUN-sized header of zeros');
    r.probe.close();
  });

  it('a process that does not read sends no probe; stopping forgets what was queued', () => {
    const r = rig();
    assert.equal(r.probe.take(r.sip), false);
    assert.equal(r.queue.length, 0);
    r.arm();
    r.probe.take(r.sip);
    r.advance(300);
    assert.equal(r.probe.wait(), 300);
    r.probe.setReading(false);
    assert.equal(r.probe.wait(), 0);
    r.probe.setReading(true);
    r.probe.take(r.sip);
    r.advance(300);
    assert.equal(r.probe.wait(), 0, 'reading again: a new backlog, not measured until its probe is read');
    r.probe.close();
  });

  it('a probe that cannot be sent (a firewall on loopback) turns the measure off, once', () => {
    let now = 0;
    let sends = 0;
    const failures: string[] = [];
    const probe = new QueueWaitProbe(
      (_b, done) => {
        sends++;
        done(new Error('send EPERM'));
      },
      () => now,
      (e) => failures.push(e.message),
    );
    probe.setReading(true);
    const sip = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\n\r\n');
    for (let i = 0; i < 10; i++) {
      now += PROBE_MS;
      assert.equal(probe.take(sip), false);
    }
    assert.equal(sends, 1, 'no second attempt');
    assert.deepEqual(failures, ['send EPERM']);
    now += 1000;
    assert.equal(probe.wait(), 0);
    probe.setReading(true);
    probe.take(sip);
    assert.equal(sends, 1, 'reading again does not turn it back on');
    probe.close();
  });

  it('an interval without traffic retires probes that can no longer be queued', async () => {
    const r = rig();
    r.arm();
    r.probe.take(r.sip);
    r.queue.length = 0; // lost, and nothing follows it
    r.advance(50);
    assert.equal(r.probe.wait(), 50);
    // the real timer ticks twice: once to see traffic, once to see none
    await waitUntil(() => (r.probe.wait() === 0 ? true : null), {
      what: 'the idle tick to retire the lost probe',
      timeoutMs: 10_000,
    });
    r.probe.close();
  });
});
