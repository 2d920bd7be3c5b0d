/** Per-request module state: declared once, typed, kept per request. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { declareRequestState, declaredRequestState } from '../../../src/proxy/request-state';
import { RequestContext } from '../../../src/proxy/context';
import { DsdError } from '../../../src/core/errors';
import { parseMessage } from '../../../src/sip/message';
import { DS_EVENT } from '../../../src/modules/dispatcher/request-state';
import { storeOf } from '../../../src/modules/script-store';
import { fakeSocket } from '../../helpers/fake-transport';

const local = fakeSocket(0, 'udp', '127.0.0.1', 5060);
const ctx = (): RequestContext =>
  new RequestContext(
    parseMessage(
      Buffer.from(
        'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\n' +
          'Call-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
        'latin1',
      ),
    ),
    { proto: 'udp', ip: '127.0.0.1', port: 5070, local },
  );

test('a slot is typed and per request; unset reads undefined', () => {
  const slot = declareRequestState<{ n: number }>('test.counter');
  const a = ctx();
  const b = ctx();
  assert.equal(a.get(slot), undefined);
  a.set(slot, { n: 1 });
  assert.deepEqual(a.get(slot), { n: 1 });
  assert.equal(b.get(slot), undefined);
});

test('declaring a name twice throws a coded error', () => {
  declareRequestState<number>('test.twice');
  assert.throws(
    () => declareRequestState<string>('test.twice'),
    (e: unknown) => e instanceof DsdError && e.code === 'DSD_ERR_DUPLICATE_REQUEST_STATE',
  );
});

test('the modules declare their state once, under their own names', () => {
  const names = declaredRequestState();
  assert.equal(new Set(names).size, names.length);
  for (const n of ['dispatcher.dsg', 'dispatcher.event', 'script.store']) {
    assert.ok(names.includes(n), n);
  }
  const c = ctx();
  c.set(DS_EVENT, { ev: { name: 'x' } as never });
  assert.equal(c.get(DS_EVENT)?.ev.name, 'x');
  assert.equal(storeOf(c), storeOf(c), 'one script store per request');
});
