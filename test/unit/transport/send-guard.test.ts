/**
 * TransportLayer.send never sends to unspecified, broadcast or multicast addresses, and
 * does send to ordinary ones (a real UDP socket on 127.0.0.1 receives the datagram).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { TransportLayer } from '../../../src/transport/layer';
import { freePorts } from '../../helpers/ports';
import { waitUntil } from '../../helpers/wait';

const quiet = { warn: () => {}, info: () => {}, debug: () => {} };

test('send refuses unspecified, broadcast and multicast targets, IPv4 and IPv6, and sends to others', async () => {
  const [port] = await freePorts(1);
  // the IPv6 socket only sends here: an ephemeral port
  const t = new TransportLayer(
    [
      { proto: 'udp', host: '127.0.0.1', port },
      { proto: 'udp', host: '::1', port: 0 },
    ],
    { maxStreamMessage: 65535, log: quiet },
  );
  await t.start({ onMessage: () => {} });
  const peer = dgram.createSocket('udp4');
  try {
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
    const got: string[] = [];
    peer.on('message', (b) => got.push(b.toString()));
    const buf = Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n');
    for (const ip of [
      '0.0.0.0',
      '255.255.255.255',
      '224.0.0.1',
      '239.1.2.3',
      '255.0.0.1',
      '::',
      'ff02::1',
      'FF05::2',
    ]) {
      assert.equal(t.send({ proto: 'udp', ip, port: 5060 }, buf), false, ip);
    }
    for (const ip of ['223.255.255.255', '10.0.0.1', '1.2.3.4', '::2', 'fe80::1', '2001:db8::1']) {
      // allowed (whether the kernel can route it is another matter): the guard lets it through
      assert.equal(t.send({ proto: 'udp', ip, port: 9 }, buf), true, ip);
    }
    assert.equal(t.send({ proto: 'udp', ip: '127.0.0.1', port: peer.address().port }, Buffer.from('hello')), true);
    await waitUntil(() => got.includes('hello'), { what: 'the datagram to 127.0.0.1' });
  } finally {
    peer.close();
    await t.close();
  }
});
