/** The one `[proto:]host[:port]` reader, and its two users' rules on top of it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitHostPort, portNumber } from '../../../src/core/hostport';
import { parseAddress } from '../../../src/script/globals';
import { parseSocketSpec } from '../../../src/modules/dispatcher/socket-spec';

test('splits proto, host and port as parse_phostport does', () => {
  assert.deepEqual(splitHostPort('UDP:[::1]:5060', ['udp']), { proto: 'udp', host: '[::1]', port: '5060' });
  assert.deepEqual(splitHostPort('foo:5060', ['udp']), { proto: null, host: 'foo', port: '5060' });
  assert.equal(splitHostPort('udp:', ['udp']), null);
  assert.equal(splitHostPort('h:', []), null);
  assert.equal(splitHostPort('[::1', []), null);
  assert.equal(portNumber('65536'), null);
  assert.equal(portNumber('005060'), 5060);
});

test('listen= and the socket attribute keep their own rules', () => {
  assert.deepEqual(parseAddress('tcp:[::1]:5061'), { proto: 'tcp', host: '::1', port: 5061 });
  assert.deepEqual(parseAddress('::1'), { proto: 'any', host: '::1', port: null });
  assert.equal(parseAddress('udp:1.2.3.4:0'), null, 'listen ports start at 1');
  assert.equal(parseAddress('udp:a b'), null);
  assert.deepEqual(parseSocketSpec('udp:[::1]'), { proto: 'udp', host: '[::1]', port: 0, text: 'udp:[::1]' });
  assert.equal(parseSocketSpec('any:1.2.3.4'), null, '"any" is no socket protocol: "1.2.3.4" is no port');
});
