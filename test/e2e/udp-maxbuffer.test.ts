/**
 * maxbuffer (and -b): the UDP receive buffer, sized as Kamailio 5.6 sizes it. dsd and the
 * real Kamailio run the same cfg and the kernel's own figure for each socket (`ss -ulnm`,
 * rb) is compared (dsd's default is 4 MB where Kamailio's is 256 KB: each side is also
 * run with the other's); then a stopped dsd is flooded, the kernel drops what its buffer
 * does not hold (the queue stays within it), and dsd answers once it runs again.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startDsd } from '../helpers/daemon';
import { startKamailio } from '../helpers/kamailio';
import { freePorts } from '../helpers/ports';
import { needs } from '../helpers/require';
import { UdpPeer, statusOf } from '../helpers/sip-peer';
import { uacRequest } from '../helpers/sip-uac';
import { pause, waitUntil } from '../helpers/wait';

function cfg(port: number, line: string): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=1
auto_aliases=no
${line}
listen=udp:127.0.0.1:${port}
loadmodule "sl.so"
loadmodule "ctl.so"
modparam("ctl", "binrpc", "unix:{DIR}/ctl")
request_route {
  sl_send_reply("200", "OK");
}
`;
}

/** The kernel's view of the UDP socket on 127.0.0.1:port: queued bytes, buffer, drops. */
function skmem(port: number): { r: number; rb: number; d: number } {
  const out = execFileSync('ss', ['-H', '-u', '-a', '-n', '-m', `sport = :${port}`], { encoding: 'utf8' });
  const m = /skmem:\(r(\d+),rb(\d+),.*,d(\d+)\)/.exec(out);
  if (!m) throw new Error(`no skmem for :${port} in ${JSON.stringify(out)}`);
  return { r: Number(m[1]), rb: Number(m[2]), d: Number(m[3]) };
}

const skipKam = needs('kamailio');
const skipSs = needs('ss');

/** kam: Kamailio's own line where the defaults differ (dsd 4 MB, Kamailio 256 KB). */
const CASES: Array<{ name: string; line: string; args: string[]; kam?: string }> = [
  { name: "no maxbuffer: dsd's default 4 MB", line: '', args: [], kam: 'maxbuffer=4194304' },
  { name: "maxbuffer=262144, Kamailio's default", line: 'maxbuffer=262144', args: [], kam: '' },
  { name: 'maxbuffer=1048576', line: 'maxbuffer=1048576', args: [] },
  { name: 'maxbuffer=100000, below the kernel default: left as it is', line: 'maxbuffer=100000', args: [] },
  { name: 'maxbuffer=300000 with -b 1048576 on the command line', line: 'maxbuffer=300000', args: ['-b', '1048576'] },
];

describe('UDP receive buffer: maxbuffer and -b, as Kamailio 5.6', () => {
  for (const c of CASES) {
    it(`${c.name}: the same SO_RCVBUF as Kamailio`, { skip: skipKam || skipSs, timeout: 120_000 }, async () => {
      const [a, b] = await freePorts(2);
      const d = await startDsd({ cfg: cfg(a!, c.line), args: c.args });
      try {
        const k = await startKamailio({ cfg: cfg(b!, c.kam ?? c.line), args: c.args });
        try {
          const ours = skmem(a!).rb;
          const theirs = skmem(b!).rb;
          assert.equal(ours, theirs, `dsd rb ${ours}, Kamailio rb ${theirs}`);
          assert.match(d.output(), /SO_RCVBUF is initially \d+, finally \d+/);
          assert.doesNotMatch(d.output(), /'maxbuffer' has no effect/);
        } finally {
          await k.stop();
        }
      } finally {
        await d.stop();
      }
    });
  }

  it(
    'a stopped dsd is flooded: the queue stays within the buffer, the rest is dropped, dsd answers after',
    {
      skip: skipSs,
      timeout: 120_000,
    },
    async () => {
      const [port] = await freePorts(1);
      // the answer after the flood is the point here, not how late it is read: no
      // max_queue_wait 503 (udp-queue-shed tests that)
      const noShed = cfg(port!, 'maxbuffer=262144').replace(
        'loadmodule "ctl.so"',
        'loadmodule "tm.so"\nmodparam("tm", "max_queue_wait", 0)\nloadmodule "ctl.so"',
      );
      const d = await startDsd({ cfg: noShed });
      const peer = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
      let stopped = false;
      try {
        const { rb } = skmem(port!);
        d.proc.kill('SIGSTOP');
        stopped = true;
        // ~1 KB datagrams, twice what the buffer can hold by their payload alone
        const pad = [`X-Pad: ${'p'.repeat(700)}`];
        const n = Math.ceil((2 * rb) / 1000);
        for (let i = 0; i < n; i++) {
          await peer.send(uacRequest(peer.port, { method: 'OPTIONS', extra: pad }).text, port!);
        }
        const held = await waitUntil(
          () => {
            const s = skmem(port!);
            return s.d > 0 ? s : null;
          },
          { what: 'the kernel to drop datagrams past the buffer', timeoutMs: 30_000 },
        );
        assert.ok(held.r <= held.rb + 4096, `queued ${held.r} bytes in a buffer of ${held.rb}`);
        d.proc.kill('SIGCONT');
        stopped = false;
        // until dsd has read some of it the buffer is still full, and the kernel drops what
        // arrives then: the request is retransmitted every T1 until answered, as a UDP
        // client retransmits it
        const probe = uacRequest(peer.port, { method: 'OPTIONS' });
        const answered = peer.waitFor((m) => m.text.includes(probe.branch), 60_000);
        let settled = false;
        const over = answered.then(
          () => (settled = true),
          () => (settled = true),
        );
        for (let i = 0; i < 120 && !settled; i++) {
          await peer.send(probe.text, port!);
          await Promise.race([over, pause(500)]);
        }
        const reply = await answered;
        assert.equal(statusOf(reply.text), 200);
      } finally {
        if (stopped) d.proc.kill('SIGCONT');
        await peer.close();
        await d.stop();
      }
    },
  );
});
