/**
 * The max_queue_wait controller with the wait, the clock and the dice in the test's hands:
 * what share of new requests it sheds as the wait moves. udp-queue-shed (e2e) runs it on
 * real sockets.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QueueShed } from '../../../src/proxy/queue-shed';
import { Admission, ADMISSION_DEFAULTS } from '../../../src/proxy/admission';
import { silentLogger } from '../../../src/core/log';
import { FakeTransport } from '../../helpers/fake-transport';
import type { Source } from '../../../src/transport/types';

function rig(maxQueueWait = 200) {
  let wait = 0;
  let now = 0;
  let dice = 0.5;
  const transport = Object.assign(new FakeTransport(), { queueWait: () => wait });
  const admission = new Admission({ ...ADMISSION_DEFAULTS, maxQueueWait });
  const shed = new QueueShed(
    transport,
    admission,
    silentLogger,
    () => dice,
    () => now,
  );
  const src = (): Source => ({ proto: 'udp', ip: '192.0.2.1', port: 5060, local: transport.sockets[0]! });
  return {
    shed,
    src,
    set(o: { wait?: number; dice?: number }) {
      if (o.wait !== undefined) wait = o.wait;
      if (o.dice !== undefined) dice = o.dice;
    },
    /** One new request every `gap` ms for `ms` ms; how many were shed. */
    run(ms: number, gap = 1): number {
      let n = 0;
      for (let t = 0; t < ms; t += gap) {
        now += gap;
        if (shed.sheds(src())) n++;
      }
      return n;
    },
  };
}

describe('QueueShed (tm max_queue_wait)', () => {
  it('sheds nothing while requests are read within half the bound, whatever came before', () => {
    const r = rig();
    r.set({ wait: 300, dice: 0 });
    r.run(200);
    r.set({ wait: 90 });
    assert.equal(r.run(50), 0, 'a drained queue sheds nothing even with the share at its top');
    r.shed.stop();
  });

  it('past twice the bound every new request is shed', () => {
    const r = rig();
    r.set({ wait: 401, dice: 0.999 });
    assert.equal(r.run(10), 10);
    assert.equal(r.shed.shed, 10);
    r.shed.stop();
  });

  it('the share rises over 100 ms past the bound and falls over a second within it', () => {
    const r = rig();
    r.set({ wait: 250, dice: 0.5 });
    // the dice say 0.5: shed once the share passes half, ~50 ms in
    const first = r.run(40);
    assert.equal(first, 0, 'below half a share nothing is shed at these dice');
    const next = r.run(60);
    assert.ok(next >= 45 && next <= 60, `shed ${next} of the next 60`);
    // within the bound but still late: the share falls, 0.5 is passed after ~500 ms
    r.set({ wait: 150 });
    const falling = r.run(400);
    assert.equal(falling, 400, 'the share is still above the dice');
    const later = r.run(600);
    assert.ok(later < 600 && later > 0, `shed ${later} of the next 600 as the share fell`);
    assert.equal(r.run(200), 0, 'after a second within the bound the share is gone');
    r.shed.stop();
  });

  it('overdue() decides for the reader before it places the call; sheds() keeps that decision', () => {
    const r = rig();
    r.set({ wait: 250, dice: 0 });
    r.run(150);
    const s = r.src();
    assert.equal(r.shed.overdue(s), true);
    // the queue drains meanwhile; the decision stands
    r.set({ wait: 50 });
    assert.equal(r.shed.sheds(s), true);
    assert.equal(r.shed.sheds(r.src()), false, 'another request is decided anew');
    r.shed.stop();
  });

  it('a handed-over request is judged by the wait it carried, not the socket', () => {
    const r = rig();
    r.set({ wait: 0, dice: 0 });
    r.shed.handedWait = 500;
    assert.equal(r.shed.sheds(r.src()), true);
    r.shed.handedWait = -1;
    assert.equal(r.shed.sheds(r.src()), false);
    r.shed.stop();
  });

  it('max_queue_wait 0 and a disabled bound shed nothing', () => {
    const off = rig(0);
    off.set({ wait: 10_000, dice: 0 });
    assert.equal(off.run(50), 0);
    off.shed.stop();
    const dis = rig();
    dis.shed.enabled = false;
    dis.set({ wait: 10_000, dice: 0 });
    assert.equal(dis.run(50), 0);
    dis.shed.stop();
  });
});
