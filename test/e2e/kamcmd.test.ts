/**
 * The real kamcmd against dsd's control socket, compared with the same kamcmd against a real
 * Kamailio 5.6 running the same cfg and list: every dispatcher command, faults, bad packets,
 * and the limits (a silent client is closed after the idle timeout; the daemon keeps answering).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { startDsd, type Dsd } from '../helpers/daemon';
import { dsctl, runTool } from '../helpers/ctl';
import { startKamailio, toolsCfg, TOOLS_LIST, type Kamailio } from '../helpers/kamailio';
import { freePorts } from '../helpers/ports';
import { waitUntil } from '../helpers/wait';

/** kamcmd's whole answer and exit code as one string, to compare byte for byte. */
function kamcmd(sock: string, args: string[]): string {
  const r = runTool('kamcmd', ['-s', `unix:${sock}`, ...args]);
  return `${r.out}${r.err}[exit ${r.code}]`;
}

/**
 * Sends raw bytes and collects what comes back until the server closes, or until `ms` have
 * passed since the first byte came back (the close, if any, follows its last write at once).
 * Silence with the connection open is given 30 s, so a starved server is not read as silent.
 */
function raw(sock: string, bytes: Buffer, ms = 1500): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.createConnection(sock);
    let data = Buffer.alloc(0);
    let closed = false;
    const done = () => {
      clearTimeout(t);
      s.destroy();
      resolve({ data, closed });
    };
    let t = setTimeout(done, 30_000);
    s.on('data', (d) => {
      if (data.length === 0) {
        clearTimeout(t);
        t = setTimeout(done, ms);
      }
      data = Buffer.concat([data, d]);
    });
    s.on('close', () => {
      closed = true;
      done();
    });
    s.on('error', () => {});
    s.write(bytes);
  });
}

const pkt = (hex: string, ...strs: string[]): Buffer =>
  Buffer.concat([Buffer.from(hex, 'hex'), ...strs.map((s) => Buffer.from(s, 'latin1'))]);

describe('kamcmd against dsd and Kamailio 5.6', { timeout: 180_000 }, () => {
  let kam: Kamailio;
  let dsd: Dsd;
  let kSock = '';
  let dSock = '';
  before(async () => {
    const [pk, pd] = await freePorts(2);
    kam = await startKamailio({ cfg: toolsCfg(pk), list: TOOLS_LIST });
    kSock = kam.ctlSock!;
    dsd = await startDsd({ cfg: toolsCfg(pd), list: TOOLS_LIST });
    dSock = path.join(dsd.dir, 'ctl');
  });
  after(async () => {
    await kam?.stop();
    await dsd?.stop();
  });

  // Run in order on both: the changes (set_state, add, remove, reload) keep them in step.
  const commands = [
    'dispatcher.list',
    'dispatcher.set_state ip 1 sip:127.0.0.1:5080',
    'dispatcher.list',
    'dispatcher.set_state dx 1 sip:127.0.0.1:5081',
    'dispatcher.set_state zz 1 sip:127.0.0.1:5080', // a bad state
    'dispatcher.set_state ip 9 sip:127.0.0.1:5080', // a missing set
    'dispatcher.set_state ip 1 sip:127.0.0.1:9999',
    'dispatcher.set_state ip',
    'dispatcher.set_state i 1 all',
    'dispatcher.set_duid_state dx 2 gw1',
    'dispatcher.set_duid_state ip 2 nosuch',
    'dispatcher.list',
    'dispatcher.add 3 sip:127.0.0.1:5090 0 0 duid=x;weight=10',
    'dispatcher.add 3',
    'dispatcher.list full',
    'dispatcher.remove 3 sip:127.0.0.1:5090',
    'dispatcher.list short',
    // back to active before the reload: dsd keeps admin states across it (Kamailio forgets)
    'dispatcher.set_state a 1 all',
    'dispatcher.set_state a 2 all',
    'dispatcher.reload',
    'dispatcher.list',
    'dispatcher.hash 4 bob server.com',
    'dispatcher.hash 4 s:3883463682',
    'dispatcher.hash 0',
    'dispatcher.ping_active',
    'dispatcher.ping_active 0',
    'dispatcher.ping_active',
    'dispatcher.ping_active 1',
    'dispatcher.nosuch',
    'system.methodHelp dispatcher.reload',
    'system.methodHelp',
    'system.methodHelp nosuch',
    'tm.stats',
  ];
  test('every command prints what it prints against Kamailio', () => {
    for (const c of commands) {
      const args = c.split(' ');
      assert.equal(kamcmd(dSock, args), kamcmd(kSock, args), `kamcmd ${c}`);
    }
  });

  // Where dsd answers on purpose what Kamailio does not (see the dispatcher's README): both
  // sides are checked, so a change on either shows.
  test('documented deviations: removing nothing is an error in dsd, "Ok." in Kamailio', () => {
    const c = ['dispatcher.remove', '7', 'sip:127.0.0.1:5090'];
    assert.equal(kamcmd(kSock, c), 'Ok. Dispatcher destination removed.\n[exit 0]');
    assert.equal(kamcmd(dSock, c), 'error: 500 - Removing dispatcher dst failed\n[exit 0]');
  });

  test('documented deviations: an admin state survives dispatcher.reload in dsd, not in Kamailio', () => {
    const flags = (sock: string): string[] =>
      [...kamcmd(sock, ['dispatcher.list']).matchAll(/FLAGS: (\w+)/g)].map((m) => m[1]!);
    for (const sock of [kSock, dSock]) {
      assert.match(kamcmd(sock, ['dispatcher.set_state', 'ip', '2', 'all']), /^Ok\./);
      assert.match(kamcmd(sock, ['dispatcher.reload']), /^Ok\./);
    }
    assert.ok(
      flags(kSock).every((f) => f.startsWith('A')),
      "Kamailio: the file's states",
    );
    assert.ok(
      flags(dSock).some((f) => f.startsWith('I')),
      'dsd: set 2 still inactive',
    );
    for (const sock of [kSock, dSock]) kamcmd(sock, ['dispatcher.set_state', 'a', '2', 'all']);
  });

  test('core.version and core.uptime keep their shape; dsctl and kamcmd agree on one socket', () => {
    assert.match(kamcmd(dSock, ['core.version']), /^dsd \d+\.\d+\.\d+ \(\w+\/linux\) \n\[exit 0\]$/);
    assert.match(kamcmd(dSock, ['core.uptime']), /^\{\n\tnow: .+\n\tup_since: .+\n\tuptime: \d+\n\}\n\[exit 0\]$/);
    for (const c of ['dispatcher.list', 'dispatcher.hash 4 bob server.com', 'dispatcher.ping_active']) {
      const r = dsctl(dSock, ...c.split(' '));
      assert.equal(`${r.out}[exit 0]`, kamcmd(dSock, c.split(' ')), `dsctl ${c}`);
    }
  });

  test("bad packets get Kamailio's fault bytes, and the daemon keeps answering", async () => {
    const cases: Record<string, Buffer> = {
      'wrong version': pkt('a2000501', '\x51abcd\0'),
      'unknown packet type': pkt('a1500601', '\x51abc\0'),
      'int as method': pkt('a1000201', '\x10\x05'),
      'length shorter than the method': pkt('a1000307', '\xf1\x10', 'dispatcher.list\0'),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      const [k, d] = await Promise.all([raw(kSock, bytes), raw(dSock, bytes)]);
      assert.ok(k.data.length > 0, `${name}: Kamailio answered`);
      assert.equal(d.data.toString('hex'), k.data.toString('hex'), name);
      assert.equal(d.closed, k.closed, `${name}: connection closed as Kamailio does`);
    }
    assert.match(kamcmd(dSock, ['dispatcher.list']), /NRSETS: \d/);
  });

  test('an oversized packet is closed at once; the daemon keeps answering', async () => {
    // header announces a 1 MB body (LL = 3 bytes)
    const r = await raw(dSock, Buffer.from([0xa1, 0x08, 0x10, 0x00, 0x00, 0x01, 0x51]), 5000);
    assert.ok(r.closed, 'closed');
    assert.equal(r.data.length, 0);
    assert.match(kamcmd(dSock, ['dispatcher.list']), /NRSETS: \d/);
  });
});

describe('control socket limits', { timeout: 90_000 }, () => {
  const connect = async (sock: string): Promise<{ s: net.Socket; closed: Promise<void> }> => {
    const s = net.createConnection(sock);
    s.on('error', () => {});
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    await new Promise((r) => s.once('connect', r));
    return { s, closed };
  };

  test('max_connections: the connection over the cap is closed unanswered; the daemon keeps answering', async () => {
    const [pd] = await freePorts(1);
    const dsd = await startDsd({
      cfg: toolsCfg(pd, 'modparam("ctl", "idle_timeout", 0)\nmodparam("ctl", "max_connections", 2)'),
      list: TOOLS_LIST,
    });
    const sock = path.join(dsd.dir, 'ctl');
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) held.push((await connect(sock)).s);
      const third = await raw(sock, Buffer.from('{"jsonrpc":"2.0","method":"core.version","id":1}\n'), 10_000);
      assert.ok(third.closed);
      assert.equal(third.data.length, 0);
      for (const s of held) s.destroy();
      await waitUntil(() => /NRSETS: \d/.test(kamcmd(sock, ['dispatcher.list'])), {
        timeoutMs: 20_000,
        what: 'a free slot',
      });
    } finally {
      for (const s of held) s.destroy();
      await dsd.stop();
    }
  });

  test('idle_timeout: a client that says nothing is closed; the daemon keeps answering', async () => {
    const [pd] = await freePorts(1);
    const dsd = await startDsd({ cfg: toolsCfg(pd, 'modparam("ctl", "idle_timeout", 1)'), list: TOOLS_LIST });
    const sock = path.join(dsd.dir, 'ctl');
    try {
      const silent = await connect(sock);
      // closed by the server: the deadline is far beyond the 1 s timeout
      await Promise.race([
        silent.closed,
        new Promise((_, rej) => setTimeout(() => rej(new Error('idle client not closed')), 30_000)),
      ]);
      assert.match(kamcmd(sock, ['dispatcher.list']), /NRSETS: \d/);
    } finally {
      await dsd.stop();
    }
  });
});

describe(
  "kamcmd over ctl's other transports (tcp:, udp:, unixd:) against dsd and Kamailio 5.6",
  { timeout: 120_000 },
  () => {
    test('dispatcher.list, a fault and an unknown command print the same on each transport', async () => {
      const [pk, pd, kt, ku, dt, du] = await freePorts(6);
      const extra = (t: number, u: number): string =>
        `modparam("ctl", "binrpc", "tcp:127.0.0.1:${t}")\nmodparam("ctl", "binrpc", "udp:127.0.0.1:${u}")\nmodparam("ctl", "binrpc", "unixd:{DIR}/ctl.dgram")`;
      const kam = await startKamailio({ cfg: toolsCfg(pk, extra(kt, ku)), list: TOOLS_LIST });
      let dsd: Dsd | undefined;
      try {
        dsd = await startDsd({ cfg: toolsCfg(pd, extra(dt, du)), list: TOOLS_LIST });
        const run = (addr: string, args: string[]): string => {
          const r = runTool('kamcmd', ['-s', addr, ...args]);
          return `${r.out}${r.err}[exit ${r.code}]`;
        };
        const pairs: Array<[string, string]> = [
          [`tcp:127.0.0.1:${kt}`, `tcp:127.0.0.1:${dt}`],
          [`udp:127.0.0.1:${ku}`, `udp:127.0.0.1:${du}`],
          [`unixd:${kam.dir}/ctl.dgram`, `unixd:${dsd.dir}/ctl.dgram`],
        ];
        for (const [k, d] of pairs) {
          for (const c of [
            'dispatcher.list',
            'dispatcher.set_state zz 1 all',
            'dispatcher.nosuch',
            'dispatcher.hash 4 bob server.com',
          ]) {
            const out = run(d, c.split(' '));
            assert.equal(out, run(k, c.split(' ')), `${d} ${c}`);
          }
        }
        assert.match(run(`tcp:127.0.0.1:${dt}`, ['dispatcher.list']), /NRSETS: 2/);
      } finally {
        await kam.stop();
        await dsd?.stop();
      }
    });
  },
);
