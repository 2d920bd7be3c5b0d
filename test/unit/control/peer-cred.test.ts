import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileOwnerCred, socketPeerCred } from '../../../src/control/peer-cred';
import { MethodRegistry, type AuditRecord } from '../../../src/control/registry';
import { at } from '../../helpers/at';

/** A Unix stream server in this process; the client is this process too. */
async function pair(dir: string): Promise<{ server: net.Server; accepted: net.Socket; client: net.Socket }> {
  const p = path.join(dir, 's.sock');
  let accept: (s: net.Socket) => void = () => undefined;
  const got = new Promise<net.Socket>((r) => (accept = r));
  const server = net.createServer({ allowHalfOpen: true }, (s) => accept(s)); // as the control socket
  await new Promise<void>((r) => server.listen(p, r));
  const client = net.createConnection(p);
  const accepted = await got;
  return { server, accepted, client };
}

test('SO_PEERCRED names the connecting process, also after it closed its end', { timeout: 30_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-peercred-'));
  const { server, accepted, client } = await pair(dir);
  try {
    const c = await socketPeerCred(accepted);
    assert.deepEqual(c, { uid: process.getuid!(), gid: process.getgid!(), pid: process.pid, source: 'SO_PEERCRED' });
    // the kernel recorded them at connect(): a peer that is gone is still named
    client.destroy();
    accepted.resume();
    await new Promise((r) => accepted.once('end', r));
    assert.equal((await socketPeerCred(accepted)).pid, process.pid);
    // the socket still works for us after a child had a duplicate of it
    assert.equal(accepted.destroyed, false);
    accepted.destroy();
    const gone = await socketPeerCred(accepted);
    assert.equal(gone.uid, null);
    assert.match(gone.error!, /connection closed before its credentials were read/);
  } finally {
    client.destroy();
    accepted.destroy();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('without perl the credentials are unknown, with the reason', { timeout: 30_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-peercred-'));
  const { server, accepted, client } = await pair(dir);
  try {
    const c = await socketPeerCred(accepted, path.join(dir, 'no-perl'));
    assert.equal(c.uid, null);
    assert.match(c.error!, /no-perl not found/);
    // a perl that fails says what it printed
    const bad = path.join(dir, 'bad-perl');
    fs.writeFileSync(bad, '#!/bin/sh\necho boom >&2\nexit 3\n', { mode: 0o755 });
    const b = await socketPeerCred(accepted, bad);
    assert.equal(b.uid, null);
    assert.match(b.error!, /boom/);
  } finally {
    client.destroy();
    accepted.destroy();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('file owner credentials: only a socket or a FIFO of that kind names anybody', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-peercred-'));
  try {
    const f = path.join(dir, 'plain');
    fs.writeFileSync(f, '');
    assert.match(fileOwnerCred(f, 'fifo').error!, /is not a FIFO/);
    assert.match(fileOwnerCred(f, 'socket').error!, /is not a socket/);
    assert.match(fileOwnerCred(path.join(dir, 'nope'), 'socket').error!, /gone before its owner was read/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the registry asks for the peer only for audited calls, and writes the line before answering', async () => {
  const reg = new MethodRegistry();
  const lines: AuditRecord[] = [];
  reg.onAudit = (r) => lines.push(r);
  reg.register('x.read', () => 'r', { params: null });
  reg.register('x.change', () => 'c', { params: null, changes: 'always' });
  reg.register('x.fails', () => Promise.reject(Object.assign(new Error('no'), { code: 500 })), {
    params: null,
    changes: 'always',
  });
  let asked = 0;
  const caller = {
    transport: 't',
    peer: () => {
      asked++;
      return { uid: 7, gid: 8, pid: 9, source: 'test' };
    },
  };
  assert.equal(await reg.invoke('x.read', [], caller), 'r');
  assert.equal(asked, 0);
  assert.equal(lines.length, 0);
  assert.equal(await reg.invoke('x.change', [], caller), 'c');
  assert.equal(asked, 1);
  assert.equal(lines.length, 1);
  assert.equal(at(lines, 0).peer.uid, 7);
  await assert.rejects(reg.invoke('x.fails', [], caller));
  assert.equal(at(lines, 1).ok, false);
  assert.equal(at(lines, 1).peer.pid, 9);
  // a lookup that throws, and a transport that cannot tell
  await reg.invoke('x.change', [], {
    transport: 't',
    peer: () => {
      throw new Error('lookup broke');
    },
  });
  assert.equal(at(lines, 2).peer.uid, null);
  assert.equal(at(lines, 2).peer.error, 'lookup broke');
  await reg.invoke('x.change', [], { transport: 'tcp', noPeer: 'network' });
  assert.equal(at(lines, 3).peer.error, 'network');
});
