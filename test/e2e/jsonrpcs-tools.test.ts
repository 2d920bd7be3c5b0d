/**
 * The real kamctl (jsonrpcs FIFO) and kamcli (jsonrpcs datagram socket) against dsd's
 * jsonrpcs module, compared with the same tools against a real Kamailio 5.6 on the same cfg
 * and list. Bad input on the FIFO and the socket: the daemon drops it and keeps answering.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DgramSocket } from 'node-unix-socket';
import { startDsd, tmpDir, type Dsd } from '../helpers/daemon';
import { startKamailio, toolsCfg, TOOLS_LIST, type Kamailio } from '../helpers/kamailio';
import { freePorts } from '../helpers/ports';
import { waitUntil } from '../helpers/wait';

/** kamctl reads kamctlrc from ., ~ and /etc/kamailio: run it where those say nothing. */
function kamctl(fifo: string, home: string, args: string[]): string {
  const r = spawnSync('kamctl', ['rpc', ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    cwd: home,
    env: { ...process.env, HOME: home, RPCFIFOPATH: fifo },
  });
  // the request id is kamctl's pid
  return `${r.stdout}${r.stderr}[exit ${r.status}]`.replace(/"id":\s*\d+/g, '"id": ID');
}

function kamcliIni(dir: string, sock: string): string {
  const ini = path.join(dir, 'kamcli.ini');
  fs.writeFileSync(
    ini,
    `[main]\ndomain=test.com\n[ctl]\ntype=jsonrpc\n[jsonrpc]\ntransport=socket\npath=${dir}/unused.fifo\n` +
      `rplnamebase=unused.fifo\nrpldir=/tmp\nsrvaddr=${sock}\nrcvaddr=${dir}/kamcli_reply.sock\noutformat=json\n`,
  );
  return ini;
}

function kamcli(ini: string, args: string[]): string {
  const r = spawnSync('kamcli', ['--no-default-configs', '-c', ini, ...args], { encoding: 'utf8', timeout: 20_000 });
  return `${r.stdout}${r.stderr}[exit ${r.status}]`.replace(/"id":\s*\d+/g, '"id": ID');
}

describe('kamctl and kamcli against dsd and Kamailio 5.6', { timeout: 240_000 }, () => {
  let kam: Kamailio;
  let dsd: Dsd;
  let home = '';
  let kIni = '';
  let dIni = '';
  before(async () => {
    const [pk, pd] = await freePorts(2);
    kam = await startKamailio({ cfg: toolsCfg(pk), list: TOOLS_LIST, readyFile: '{DIR}/rpc.sock' });
    dsd = await startDsd({ cfg: toolsCfg(pd), list: TOOLS_LIST });
    home = tmpDir('dsd-tools-home-');
    kIni = kamcliIni(kam.dir, path.join(kam.dir, 'rpc.sock'));
    dIni = kamcliIni(dsd.dir, path.join(dsd.dir, 'rpc.sock'));
    await kam
      .waitFor(/JSONRPCS FIFO|jsonrpc_fifo_process|new process with pid|jsonrpc_dgram_process/, 20_000)
      .catch(() => {});
  });
  after(async () => {
    await kam?.stop();
    await dsd?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  const kFifo = (): string => path.join(kam.dir, 'rpc.fifo');
  const dFifo = (): string => path.join(dsd.dir, 'rpc.fifo');

  test('kamctl rpc: every dispatcher command answers as Kamailio does', () => {
    const commands = [
      'dispatcher.list',
      'dispatcher.set_state ip 1 sip:127.0.0.1:5080',
      'dispatcher.set_state zz 1 sip:127.0.0.1:5080',
      'dispatcher.set_state ip 9 sip:127.0.0.1:5080',
      'dispatcher.set_duid_state dx 2 gw1',
      'dispatcher.set_duid_state ip 2 nosuch',
      'dispatcher.list',
      'dispatcher.add 3 sip:127.0.0.1:5090 0 0 duid=x',
      'dispatcher.list full',
      'dispatcher.remove 3 sip:127.0.0.1:5090',
      // back to active first: dsd keeps admin states across a reload (Kamailio forgets them)
      'dispatcher.set_state a 1 all',
      'dispatcher.set_state a 2 all',
      'dispatcher.reload',
      'dispatcher.list short',
      'dispatcher.hash 4 bob server.com',
      'dispatcher.hash 0',
      'dispatcher.ping_active',
      'dispatcher.ping_active 0',
      'dispatcher.ping_active 1',
      'dispatcher.nosuch',
      'system.methodHelp dispatcher.reload',
      'tm.stats',
    ];
    for (const c of commands) {
      const args = c.split(' ');
      assert.equal(kamctl(dFifo(), home, args), kamctl(kFifo(), home, args), `kamctl rpc ${c}`);
    }
  });

  test('kamctl ps and kamctl uptime: the shapes Kamailio answers', () => {
    for (const fifo of [kFifo(), dFifo()]) {
      const ps = spawnSync('kamctl', ['ps'], {
        encoding: 'utf8',
        timeout: 20_000,
        cwd: home,
        env: { ...process.env, HOME: home, RPCFIFOPATH: fifo },
      });
      assert.match(
        ps.stdout,
        /"result": \[\n\s+\{\n\s+"IDX":\s+0,\n\s+"PID":\s+\d+,\n\s+"DSC":\s+"main process - attendant"\n\s+\}/,
        `${fifo}: ${ps.stdout}`,
      );
      const up = spawnSync('kamctl', ['uptime'], {
        encoding: 'utf8',
        timeout: 20_000,
        cwd: home,
        env: { ...process.env, HOME: home, RPCFIFOPATH: fifo },
      });
      assert.match(
        up.stdout,
        /"now":\s+"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}",\n\s+"up_since":\s+"[^"]+",\n\s+"uptime":\s+\d+\n/,
        `${fifo}: ${up.stdout}`,
      );
    }
  });

  test('kamcli: dispatcher list/reload and rpc answer as Kamailio does', () => {
    const commands = [
      'dispatcher list',
      'rpc dispatcher.set_state ip i:2 sip:127.0.0.1:5082;transport=tcp',
      'rpc dispatcher.set_state zz i:1 all',
      'rpc dispatcher.set_state ip i:9 sip:127.0.0.1:5080',
      'dispatcher list',
      'rpc dispatcher.set_duid_state ip i:2 gw1',
      'rpc dispatcher.add i:4 sip:127.0.0.1:5095',
      'dispatcher list',
      'rpc dispatcher.remove i:4 sip:127.0.0.1:5095',
      'rpc dispatcher.set_state a i:2 all',
      'dispatcher reload',
      'rpc dispatcher.hash i:4 bob server.com',
      'rpc dispatcher.ping_active',
      'rpc dispatcher.nosuch',
    ];
    for (const c of commands) {
      const args = c.split(' ');
      assert.equal(kamcli(dIni, args), kamcli(kIni, args), `kamcli ${c}`);
    }
  });
});

describe('jsonrpcs limits and bad input', { timeout: 120_000 }, () => {
  test('pretty_format 0, garbage, truncated and endless JSON on the FIFO, bad datagrams: dropped, daemon keeps answering', async () => {
    const [pd] = await freePorts(1);
    const dsd = await startDsd({
      cfg: toolsCfg(
        pd,
        'modparam("jsonrpcs", "pretty_format", 0)\nmodparam("jsonrpcs", "read_timeout", 3000)\nmodparam("jsonrpcs", "max_request_size", 4096)',
      ),
      list: TOOLS_LIST,
    });
    const home = tmpDir('dsd-tools-home-');
    const fifo = path.join(dsd.dir, 'rpc.fifo');
    const sock = path.join(dsd.dir, 'rpc.sock');
    const ok = (): void => {
      const out = kamctl(fifo, home, ['dispatcher.ping_active']);
      assert.match(out, /"result":\s*\{\s*"OldPingState":\s*1\s*\}/, out);
    };
    const write = (text: string | Buffer): void => {
      const fd = fs.openSync(fifo, fs.constants.O_WRONLY);
      fs.writeSync(fd, typeof text === 'string' ? Buffer.from(text) : text);
      fs.closeSync(fd);
    };
    try {
      // pretty_format 0: one line, srjson's unformatted print
      assert.match(
        kamctl(fifo, home, ['dispatcher.hash', '4', 'bob', 'server.com']),
        /^\{"jsonrpc":"2\.0","result":\{"hashid":3883463682,"slot":/,
      );
      // a garbage line, a document that is not JSON, a forbidden reply name
      write('hello there\n');
      write('{"jsonrpc": "2.0", "method": oops}\n');
      write('{"jsonrpc": "2.0", "method": "core.version", "reply_name": "../../etc/x", "id": 1}\n');
      ok();
      // truncated: never closed; dropped after read_timeout (the test waits far beyond it)
      write('{"jsonrpc": "2.0", "method": "dispatcher.list", "reply_name": "nobody"');
      await dsd.waitFor('unfinished FIFO request dropped', 20_000);
      ok();
      // endless: 256 KiB inside one document, over max_request_size
      write(Buffer.concat([Buffer.from('{"a": "'), Buffer.alloc(256 * 1024, 0x78)]));
      write('"}\n');
      await dsd.waitFor(/FIFO request of \d+ bytes over the 4096 byte limit dropped/, 20_000);
      ok();
      // datagrams: not JSON → no reply; then a good one is answered
      const client = new DgramSocket();
      const me = path.join(dsd.dir, 'client.sock');
      client.bind(me);
      const got: string[] = [];
      client.on('data', (b: Buffer) => got.push(b.toString()));
      client.sendTo(Buffer.from('not json at all'), 0, 15, sock);
      const req = Buffer.from('{"jsonrpc":"2.0","method":"dispatcher.ping_active","id":7}');
      client.sendTo(req, 0, req.length, sock);
      await waitUntil(() => got.length > 0, { timeoutMs: 30_000, what: 'the answer on the datagram socket' });
      client.close();
      assert.deepEqual(got, ['{"jsonrpc":"2.0","result":{"OldPingState":1},"id":7}']);
      assert.ok(dsd.proc.exitCode === null, 'daemon still running');
    } finally {
      await dsd.stop();
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
