/**
 * Who made a change, as the audit line tells it, through the real clients run as another
 * user (uid 65534 with setpriv): dsctl and kamcmd on the control socket (SO_PEERCRED: uid,
 * gid and the client's own pid), kamcmd over a unixd: socket and kamcli over the jsonrpcs
 * datagram socket (the sender's socket file owner), kamctl over the jsonrpcs FIFO (the reply
 * FIFO's owner, a claim), kamcmd over TCP (no uid, the remote address). A datagram whose
 * sender socket is gone before dsd looks gets uid null and the reason. Reads are not
 * audited. With two SIP workers a change is audited once, by the process that knows the caller.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DgramSocket } from 'node-unix-socket';
import { startDsd, DSCTL_BIN, REPO, tmpDir, type Dsd } from '../helpers/daemon';
import { toolsCfg, TOOLS_LIST } from '../helpers/kamailio';
import { freePorts } from '../helpers/ports';
import { needs } from '../helpers/require';
import { waitUntil } from '../helpers/wait';
import { UdpPeer } from '../helpers/sip-peer';

const NOBODY = 65534;
const AS_NOBODY = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];

type Line = Record<string, unknown>;

function auditLines(d: Dsd): Line[] {
  return d
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"audit":true'))
    .map((l) => JSON.parse(l) as Line);
}

/** Runs argv to its end; its pid is the peer pid SO_PEERCRED must name (setpriv execs). */
function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ pid: number; code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    c.stdout.on('data', (b) => (out += b));
    c.stderr.on('data', (b) => (out += b));
    const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
    c.on('error', reject);
    c.on('close', (code) => {
      clearTimeout(timer);
      resolve({ pid: c.pid!, code, out });
    });
  });
}

/** The one audit line with these params that was not there before `seen`. */
async function newAudit(d: Dsd, seen: number, pred: (l: Line) => boolean): Promise<Line> {
  const l = await waitUntil(() => auditLines(d).slice(seen).find(pred), {
    timeoutMs: 15_000,
    what: 'an audit line',
  }).catch(() => {
    throw new Error(`no such audit line:\n${d.output().slice(-4000)}`);
  });
  return l;
}

const setState = (uri: string): string[] => ['dispatcher.set_state', 'ip', '1', uri];
const U1 = 'sip:127.0.0.1:5080';

test(
  'the audit line names the caller on every control transport, as another user',
  { skip: needs('kamcmd', 'kamctl', 'kamcli', 'setpriv', 'perl'), timeout: 180_000 },
  async () => {
    const [port, tcp] = await freePorts(2);
    const extra = [
      'modparam("ctl", "mode", 0666)',
      `modparam("ctl", "binrpc", "tcp:127.0.0.1:${tcp}")`,
      'modparam("ctl", "binrpc", "unixd:{DIR}/ctl.dgram")',
      'modparam("jsonrpcs", "fifo_mode", 0666)',
      'modparam("jsonrpcs", "dgram_mode", 0666)',
    ].join('\n');
    const d = await startDsd({ cfg: toolsCfg(port!, extra), list: TOOLS_LIST });
    const home = tmpDir('dsd-audit-home-');
    try {
      // the other user may enter the daemon's directory and keep its own files in home
      fs.chmodSync(d.dir, 0o755);
      fs.chmodSync(home, 0o755);
      fs.chownSync(home, NOBODY, NOBODY);
      const env = { HOME: home };
      const sock = path.join(d.dir, 'ctl');
      const check = (l: Line, uid: number, transport: string, source: string | null): void => {
        assert.equal(l.peer_uid, uid, JSON.stringify(l));
        assert.equal(l.transport, transport, JSON.stringify(l));
        assert.equal(l.peer_source, source, JSON.stringify(l));
      };

      // dsctl as root and (where the checkout is readable by others) as the other user
      let seen = auditLines(d).length;
      const asRoot = await run([process.execPath, DSCTL_BIN, '-s', `unix:${sock}`, ...setState(U1)]);
      assert.equal(asRoot.code, 0, asRoot.out);
      let l = await newAudit(d, seen, (x) => x.method === 'dispatcher.set_state');
      check(l, 0, 'jsonrpc', 'SO_PEERCRED');
      assert.equal(l.peer_pid, asRoot.pid);
      assert.equal(l.peer_gid, 0);
      assert.equal(l.endpoint, sock);

      const readable = spawnSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), 'test', '-r', path.join(REPO, 'dist')]);
      if (readable.status === 0) {
        seen = auditLines(d).length;
        const r = await run([...AS_NOBODY, process.execPath, DSCTL_BIN, '-s', `unix:${sock}`, ...setState(U1)], env);
        assert.equal(r.code, 0, r.out);
        l = await newAudit(d, seen, (x) => x.method === 'dispatcher.set_state');
        check(l, NOBODY, 'jsonrpc', 'SO_PEERCRED');
        assert.equal(l.peer_gid, NOBODY);
        assert.equal(l.peer_pid, r.pid);
        // a read is not audited (and costs no credential lookup)
        const before = auditLines(d).length;
        const list = await run([...AS_NOBODY, process.execPath, DSCTL_BIN, '-s', `unix:${sock}`, 'dispatcher.list']);
        assert.equal(list.code, 0, list.out);
        assert.equal(auditLines(d).length, before);
      }

      // kamcmd (binrpc) on the same control socket
      seen = auditLines(d).length;
      let r = await run([...AS_NOBODY, 'kamcmd', '-s', `unix:${sock}`, ...setState(U1)], env);
      assert.match(r.out, /^Ok\./, r.out);
      l = await newAudit(d, seen, (x) => x.method === 'dispatcher.set_state');
      check(l, NOBODY, 'binrpc', 'SO_PEERCRED');
      assert.equal(l.peer_pid, r.pid);

      // a failed change is audited with the caller too
      seen = auditLines(d).length;
      r = await run([...AS_NOBODY, 'kamcmd', '-s', `unix:${sock}`, ...setState('sip:127.0.0.1:1')], env);
      assert.match(r.out, /error: 500/, r.out);
      l = await newAudit(d, seen, (x) => x.method === 'dispatcher.set_state' && x.ok === false);
      check(l, NOBODY, 'binrpc', 'SO_PEERCRED');

      // kamcmd over ctl's unixd: socket: the sender's reply socket file is the other user's
      seen = auditLines(d).length;
      r = await run([...AS_NOBODY, 'kamcmd', '-s', `unixd:${d.dir}/ctl.dgram`, ...setState(U1)], env);
      assert.match(r.out, /^Ok\./, r.out);
      l = await newAudit(d, seen, (x) => x.method === 'dispatcher.set_state');
      check(l, NOBODY, 'binrpc', 'sender socket owner');
      assert.equal(l.endpoint, `unixd:${d.dir}/ctl.dgram`);
      assert.equal(typeof l.remote, 'string');
      assert.equal(l.peer_pid, null);

      // kamcmd over TCP: a network peer, no uid, the address instead
      seen = auditLines(d).length;
      r = await run(['kamcmd', '-s', `tcp:127.0.0.1:${tcp}`, ...setState(U1)]);
      assert.match(r.out, /^Ok\./, r.out);
      l = await newAudit(d, seen, (x) => x.method === 'dispatcher.set_state');
      assert.equal(l.peer_uid, null);
      assert.match(String(l.remote), /^127\.0\.0\.1:\d+$/);
      assert.match(String(l.peer_error), /network peer/);

      // kamctl over the jsonrpcs FIFO: the reply FIFO it made names the user
      seen = auditLines(d).length;
      r = await run([...AS_NOBODY, 'kamctl', 'rpc', 'dispatcher.reload'], {
        ...env,
        RPCFIFOPATH: path.join(d.dir, 'rpc.fifo'),
      });
      assert.match(r.out, /Ok\. Dispatcher successfully reloaded|result/, r.out);
      l = await newAudit(d, seen, (x) => x.method === 'dispatcher.reload');
      check(l, NOBODY, 'jsonrpcs-fifo', 'reply FIFO owner');
      assert.equal(l.endpoint, path.join(d.dir, 'rpc.fifo'));

      // kamcli over the jsonrpcs datagram socket
      const ini = path.join(home, 'kamcli.ini');
      fs.writeFileSync(
        ini,
        `[main]\ndomain=test.com\n[ctl]\ntype=jsonrpc\n[jsonrpc]\ntransport=socket\npath=${home}/unused.fifo\n` +
          `rplnamebase=unused.fifo\nrpldir=/tmp\nsrvaddr=${d.dir}/rpc.sock\nrcvaddr=${home}/kamcli_reply.sock\noutformat=json\n`,
      );
      seen = auditLines(d).length;
      r = await run([...AS_NOBODY, 'kamcli', '--no-default-configs', '-c', ini, 'rpc', 'dispatcher.reload'], env);
      assert.match(r.out, /Ok\. Dispatcher successfully reloaded|result/, r.out);
      l = await newAudit(d, seen, (x) => x.method === 'dispatcher.reload');
      check(l, NOBODY, 'jsonrpcs-dgram', 'sender socket owner');
      // kamcli binds its reply socket with its pid appended
      assert.ok(String(l.remote).startsWith(`${home}/kamcli_reply.sock`), String(l.remote));

      // a sender whose socket file is gone before dsd reads it: uid null, and why
      const gone = path.join(home, 'gone.sock');
      const s = new DgramSocket();
      try {
        s.bind(gone);
        fs.unlinkSync(gone);
        seen = auditLines(d).length;
        const req = Buffer.from(
          JSON.stringify({ jsonrpc: '2.0', method: 'dispatcher.set_state', params: ['ip', 1, U1], id: 1 }),
        );
        s.sendTo(req, 0, req.length, path.join(d.dir, 'rpc.sock'), () => {});
        l = await newAudit(d, seen, (x) => x.method === 'dispatcher.set_state');
        assert.equal(l.peer_uid, null);
        assert.equal(l.remote, gone);
        assert.match(String(l.peer_error), /gone before its owner was read/);
      } finally {
        s.close();
      }
    } finally {
      await d.stop();
      fs.rmSync(home, { recursive: true, force: true });
    }
  },
);

/** OPTIONS with `n` Call-IDs: the workers that own them run the route (and its xlog). */
async function options(peer: UdpPeer, port: number, n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    const id = `${tag}-${i}`;
    const from = peer.received.length;
    await peer.send(
      [
        `OPTIONS sip:ping@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-${id};rport`,
        'Max-Forwards: 70',
        `From: <sip:t@127.0.0.1>;tag=${id}`,
        `To: <sip:ping@127.0.0.1:${port}>`,
        `Call-ID: ${id}@audit`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      port,
    );
    await peer.waitFor((m) => m.text.startsWith('SIP/2.0 404') && m.text.includes(`${id}@audit`), 10_000, from);
  }
}

const debugPids = (d: Dsd, tag: string): Set<unknown> =>
  new Set(
    d
      .output()
      .split('\n')
      .filter((x) => x.startsWith('{"level":"debug"') && x.includes(`dbg ${tag}-`))
      .map((x) => (JSON.parse(x) as Line).pid),
  );

test(
  'two SIP workers: one audit line per change, with the caller; corex.debug reaches every worker',
  { skip: needs('perl'), timeout: 90_000 },
  async () => {
    const [port] = await freePorts(1);
    // children_pack=0: every request by Call-ID hash, so both workers run the script at any load
    const cfg = toolsCfg(port!)
      .replace(
        'request_route { sl_send_reply("404", "Not here"); }',
        'loadmodule "xlog.so"\nloadmodule "pv.so"\nrequest_route { xlog("L_DBG", "dbg $ci\\n"); sl_send_reply("404", "Not here"); }',
      )
      .replace(/^loadmodule /m, 'children_pack=0\nloadmodule ');
    const d = await startDsd({ cfg, list: TOOLS_LIST, args: ['-n', '2'] });
    const peer = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
    try {
      const sock = path.join(d.dir, 'ctl');
      const dsctl = (...args: string[]) => run([process.execPath, DSCTL_BIN, '-s', `unix:${sock}`, ...args]);
      const r = await dsctl(...setState(U1));
      assert.equal(r.code, 0, r.out);
      const l = await newAudit(d, 0, (x) => x.method === 'dispatcher.set_state');
      assert.equal(l.peer_uid, 0);
      assert.equal(l.peer_pid, r.pid);
      assert.equal(l.transport, 'jsonrpc');

      // at debug=2 the script's L_DBG lines are not logged
      await options(peer, port!, 12, 'before');
      assert.equal(debugPids(d, 'before').size, 0);
      const lvl = await dsctl('corex.debug', '3');
      assert.equal(lvl.code, 0, lvl.out);
      await newAudit(d, 0, (x) => x.method === 'corex.debug');
      // both workers follow: the Call-IDs' owners are spread over them
      await waitUntil(
        async () => {
          await options(peer, port!, 6, 'after');
          return debugPids(d, 'after').size >= 2 ? true : null;
        },
        { timeoutMs: 30_000, what: 'L_DBG lines from both workers' },
      );
      // one line per change, though each ran in both workers
      assert.equal(auditLines(d).filter((x) => x.method === 'dispatcher.set_state').length, 1, d.output());
      assert.equal(auditLines(d).filter((x) => x.method === 'corex.debug').length, 1, d.output());
    } finally {
      await peer.close();
      await d.stop();
    }
  },
);
