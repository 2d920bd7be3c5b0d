/**
 * native/udpio through NativeUdp on real loopback sockets: batches arrive whole and in
 * order with the sender's address as dgram would give it, reading is held and resumed,
 * sends go out (and through dgram once the reader is closed), and a handler that throws
 * costs only its own datagram. The module is part of the build on Linux: it must load.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { NativeUdp, loadUdpio } from '../../../src/transport/udp-native';
import { waitUntil } from '../../helpers/wait';

const linux = process.platform === 'linux' && process.env.DSD_UDP_NATIVE !== '0';

function bound(type: 'udp4' | 'udp6', host: string): Promise<dgram.Socket> {
  const s = dgram.createSocket(type);
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, host, () => resolve(s));
  });
}

/**
 * Sends `texts` from `client` to `port`, then one datagram to a socket of its own: once that
 * one is read, the others are in the kernel's queue (loopback delivers in order, at once).
 */
async function sendQueued(client: dgram.Socket, port: number, texts: string[]): Promise<void> {
  for (const t of texts) client.send(t, port, '127.0.0.1');
  const marker = await bound('udp4', '127.0.0.1');
  const seen: string[] = [];
  marker.on('message', (b) => seen.push(b.toString()));
  client.send('after', marker.address().port, '127.0.0.1');
  try {
    await waitUntil(() => seen.length === 1, { timeoutMs: 10_000, what: 'the marker' });
  } finally {
    marker.close();
  }
}

interface Got {
  text: string;
  ip: string;
  port: number;
}

describe('NativeUdp (native/udpio)', { skip: !linux && 'Linux only' }, () => {
  it('a loop reader delivers what it is handed as a datagram read, and hands back what it sends', async () => {
    const got: Got[] = [];
    const sent: Got[] = [];
    const nat = NativeUdp.loop(
      { datagram: (buf, ip, port) => void got.push({ text: buf.toString('latin1'), ip, port }) },
      (e) => assert.fail(String(e)),
      (buf, port, ip) => void sent.push({ text: buf.toString('latin1'), ip, port }),
    );
    assert.ok(nat);
    // a socket on the address it "sends" to: nothing may reach it (nothing goes on the wire)
    const peer = await bound('udp4', '127.0.0.1');
    const heard: string[] = [];
    peer.on('message', (b) => heard.push(b.toString()));
    try {
      const original = Buffer.from('INVITE sip:x SIP/2.0', 'latin1');
      nat.inject(original, '127.0.0.1', 5070, 4);
      nat.inject(Buffer.from('v6'), '::1', 5071, 6);
      assert.deepEqual(got, [
        { text: 'INVITE sip:x SIP/2.0', ip: '127.0.0.1', port: 5070 },
        { text: 'v6', ip: '::1', port: 5071 },
      ]);
      nat.send(Buffer.from('out'), peer.address().port, '127.0.0.1', 4);
      assert.deepEqual(sent, [{ text: 'out', ip: '127.0.0.1', port: peer.address().port }]);
      // the same path as a real datagram: a Buffer of its own, not the caller's
      nat.inject(original, '127.0.0.1', 5070, 4);
      assert.deepEqual(got.length, 3);
      // a marker sent for real arrives: had 'out' gone to the socket, it would be there first
      const m = await bound('udp4', '127.0.0.1');
      m.send('marker', peer.address().port, '127.0.0.1');
      await waitUntil(() => heard.length > 0, { timeoutMs: 10_000, what: 'the marker' });
      m.close();
      assert.deepEqual(heard, ['marker']);
    } finally {
      nat.close();
      nat.close();
      peer.close();
    }
  });

  it('is built and loads', () => {
    const { mod, why } = loadUdpio();
    assert.ok(mod, why);
  });

  it('reads a burst whole and in order, with the IPv4 source as dgram gives it', async () => {
    const server = await bound('udp4', '127.0.0.1');
    const client = await bound('udp4', '127.0.0.1');
    const got: Got[] = [];
    const nat = NativeUdp.open(
      server,
      { datagram: (buf, ip, port) => void got.push({ text: buf.toString('latin1'), ip, port }) },
      (e) => assert.fail(String(e)),
    );
    try {
      assert.ok(nat);
      nat.setReading(true);
      const n = 100; // several batches of 32, within the default receive buffer
      for (let i = 0; i < n; i++) client.send(`m${i} ${'x'.repeat(i * 3)}`, server.address().port, '127.0.0.1');
      await waitUntil(() => got.length >= n, { timeoutMs: 20_000, what: 'every datagram read' });
      assert.equal(got.length, n);
      got.forEach((g, i) => {
        assert.equal(g.text, `m${i} ${'x'.repeat(i * 3)}`);
        assert.equal(g.ip, '127.0.0.1');
        assert.equal(g.port, client.address().port);
      });
    } finally {
      nat?.close();
      server.close();
      client.close();
    }
  });

  it('reads an empty datagram and the largest IPv4 one intact', async () => {
    const server = await bound('udp4', '127.0.0.1');
    const client = await bound('udp4', '127.0.0.1');
    server.setRecvBufferSize(1 << 20);
    const got: Buffer[] = [];
    const nat = NativeUdp.open(server, { datagram: (buf) => void got.push(buf) }, (e) => assert.fail(String(e)));
    try {
      assert.ok(nat);
      nat.setReading(true);
      const big = Buffer.alloc(65507);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 255;
      client.send(Buffer.alloc(0), server.address().port, '127.0.0.1');
      client.send(big, server.address().port, '127.0.0.1');
      await waitUntil(() => got.length >= 2, { timeoutMs: 10_000, what: 'both datagrams' });
      assert.equal(got[0]!.length, 0);
      assert.ok(got[1]!.equals(big));
    } finally {
      nat?.close();
      server.close();
      client.close();
    }
  });

  it('gives the IPv6 source text as dgram does', async (t) => {
    let server: dgram.Socket;
    try {
      server = await bound('udp6', '::1');
    } catch {
      t.skip('no ::1 here');
      return;
    }
    const client = await bound('udp6', '::1');
    const got: Got[] = [];
    const viaDgram: string[] = [];
    const probe = await bound('udp6', '::1');
    probe.on('message', (_b, r) => viaDgram.push(r.address));
    const nat = NativeUdp.open(
      server,
      { datagram: (buf, ip, port) => void got.push({ text: buf.toString('latin1'), ip, port }) },
      () => undefined,
    );
    try {
      assert.ok(nat);
      nat.setReading(true);
      client.send('hello6', server.address().port, '::1');
      client.send('hello6', probe.address().port, '::1');
      await waitUntil(() => got.length === 1 && viaDgram.length === 1, { timeoutMs: 10_000, what: 'both read' });
      assert.deepEqual(got[0], { text: 'hello6', ip: viaDgram[0], port: client.address().port });
      // and a send to an IPv6 peer
      const back: string[] = [];
      client.on('message', (b) => back.push(b.toString()));
      nat.send(Buffer.from('reply6'), client.address().port, '::1', 6);
      await waitUntil(() => back.length === 1, { timeoutMs: 10_000, what: 'the reply' });
      assert.equal(back[0], 'reply6');
    } finally {
      nat?.close();
      server.close();
      client.close();
      probe.close();
    }
  });

  it('holds reading until asked, and resumes with what waited in the kernel', async () => {
    const server = await bound('udp4', '127.0.0.1');
    const client = await bound('udp4', '127.0.0.1');
    const got: string[] = [];
    const nat = NativeUdp.open(server, { datagram: (buf) => void got.push(buf.toString()) }, () => undefined);
    try {
      assert.ok(nat);
      // dgram's own reading is held too: nothing reaches a 'message' listener
      server.on('message', () => assert.fail('dgram read a datagram the native reader owns'));
      await sendQueued(client, server.address().port, ['held0', 'held1', 'held2', 'held3', 'held4']);
      assert.equal(got.length, 0);
      nat.setReading(true);
      await waitUntil(() => got.length === 5, { timeoutMs: 10_000, what: 'the held datagrams' });
      assert.deepEqual(got, ['held0', 'held1', 'held2', 'held3', 'held4']);
    } finally {
      nat?.close();
      server.close();
      client.close();
    }
  });

  it('sends; after close dgram still sends on the socket', async () => {
    const server = await bound('udp4', '127.0.0.1');
    const peer = await bound('udp4', '127.0.0.1');
    const back: Array<{ text: string; port: number }> = [];
    peer.on('message', (b, r) => back.push({ text: b.toString(), port: r.port }));
    const nat = NativeUdp.open(server, { datagram: () => undefined }, () => undefined);
    try {
      assert.ok(nat);
      nat.send(Buffer.from('native'), peer.address().port, '127.0.0.1', 4);
      await waitUntil(() => back.length === 1, { timeoutMs: 10_000, what: 'the native send' });
      nat.close();
      nat.send(Buffer.from('dgram'), peer.address().port, '127.0.0.1', 4);
      await waitUntil(() => back.length === 2, { timeoutMs: 10_000, what: 'the send after close' });
      assert.deepEqual(back, [
        { text: 'native', port: server.address().port },
        { text: 'dgram', port: server.address().port },
      ]);
    } finally {
      nat?.close();
      server.close();
      peer.close();
    }
  });

  it('holds the sends made while a batch is handled and sends them after it, in order, in fewer syscalls', async () => {
    const { mod } = loadUdpio();
    assert.ok(mod?.stats, 'the module counts its send queue');
    const server = await bound('udp4', '127.0.0.1');
    const client = await bound('udp4', '127.0.0.1');
    const peer = await bound('udp4', '127.0.0.1');
    const back: string[] = [];
    peer.on('message', (b) => back.push(b.toString()));
    let nat: NativeUdp | null = null;
    nat = NativeUdp.open(
      server,
      // each datagram read is answered twice, to the peer: the proxy's forward and its reply
      {
        datagram: (buf) =>
          ['1', '2'].forEach((k) => nat!.send(Buffer.from(`${buf}:${k}`), peer.address().port, '127.0.0.1', 4)),
      },
      (e) => assert.fail(String(e)),
    );
    try {
      assert.ok(nat);
      const texts = Array.from({ length: 20 }, (_, i) => `q${i}`);
      await sendQueued(client, server.address().port, texts);
      const before = mod.stats();
      nat.setReading(true);
      await waitUntil(() => back.length >= 40, { timeoutMs: 10_000, what: 'every answer' });
      assert.deepEqual(
        back,
        texts.flatMap((t) => [`${t}:1`, `${t}:2`]),
      );
      const after = mod.stats();
      assert.equal(after.held - before.held, 40, 'every answer was held for the end of its batch');
      // 20 datagrams waiting are one batch (32 at most): their 40 answers are 2 sendmmsg calls (32 held at most)
      assert.ok(
        after.flushes - before.flushes <= 4,
        `${after.flushes - before.flushes} sendmmsg calls for 40 datagrams`,
      );
      assert.equal(after.givenBack, before.givenBack);
    } finally {
      nat?.close();
      server.close();
      client.close();
      peer.close();
    }
  });

  it('a held send the kernel refuses goes to dgram, and the ones after it still go out', async () => {
    const { mod } = loadUdpio();
    assert.ok(mod?.stats);
    const server = await bound('udp4', '127.0.0.1');
    const client = await bound('udp4', '127.0.0.1');
    const peer = await bound('udp4', '127.0.0.1');
    const back: string[] = [];
    const errors: string[] = [];
    peer.on('message', (b) => back.push(b.toString()));
    // dgram reports the refused send on the socket (no SO_BROADCAST: EACCES, nothing leaves)
    server.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
    let nat: NativeUdp | null = null;
    nat = NativeUdp.open(
      server,
      {
        datagram: (buf) => {
          const s = buf.toString();
          nat!.send(
            Buffer.from(s),
            s === 'broadcast' ? 9 : peer.address().port,
            s === 'broadcast' ? '255.255.255.255' : '127.0.0.1',
            4,
          );
        },
      },
      (e) => assert.fail(String(e)),
    );
    try {
      assert.ok(nat);
      await sendQueued(client, server.address().port, ['one', 'broadcast', 'two', 'three']);
      const before = mod.stats();
      nat.setReading(true);
      await waitUntil(() => back.length >= 3 && errors.length >= 1, {
        timeoutMs: 10_000,
        what: 'the answers and the error',
      });
      assert.deepEqual(back, ['one', 'two', 'three']);
      assert.deepEqual(errors, ['EACCES']);
      assert.equal(mod.stats().givenBack - before.givenBack, 1);
      // and the reader still sends afterwards
      nat.send(Buffer.from('later'), peer.address().port, '127.0.0.1', 4);
      await waitUntil(() => back.length === 4, { timeoutMs: 10_000, what: 'a send after the refusal' });
      assert.equal(back[3], 'later');
    } finally {
      nat?.close();
      server.close();
      client.close();
      peer.close();
    }
  });

  it('a handler that throws costs only its own datagram', async () => {
    const server = await bound('udp4', '127.0.0.1');
    const client = await bound('udp4', '127.0.0.1');
    const got: string[] = [];
    const errors: string[] = [];
    const nat = NativeUdp.open(
      server,
      {
        datagram: (buf) => {
          const s = buf.toString();
          if (s === 'bad') throw new Error('boom');
          got.push(s);
        },
      },
      (e) => errors.push((e as Error).message),
    );
    try {
      assert.ok(nat);
      // queued while held, so they are read in one batch
      await sendQueued(client, server.address().port, ['a', 'bad', 'b', 'c']);
      nat.setReading(true);
      await waitUntil(() => got.length === 3, { timeoutMs: 10_000, what: 'the good datagrams' });
      assert.deepEqual(got, ['a', 'b', 'c']);
      assert.deepEqual(errors, ['boom']);
    } finally {
      nat?.close();
      server.close();
      client.close();
    }
  });
});
