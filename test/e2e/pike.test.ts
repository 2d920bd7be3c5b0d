/**
 * pike over SIP, run the same way against dsd and against Kamailio 5.6 (the oracle):
 * a burst from one address above reqs_density_per_unit is refused (the script answers
 * 503 where pike_check_req() is false, so every request gets an answer to count), a
 * second address is not, pike.top lists the address as HOT, the address is let back once
 * it goes quiet (waited for, as a condition), and it leaves the table after remove_latency.
 * remove_latency is 10 s, not less: pike.top must find the address before it is forgotten,
 * and on a starved machine starting the control tool alone can take seconds.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startDsd } from '../helpers/daemon';
import { startKamailio } from '../helpers/kamailio';
import { freePorts } from '../helpers/ports';
import { dsctl, kamcmd, CtlResult } from '../helpers/ctl';
import { needs } from '../helpers/require';
import { waitUntil, pause } from '../helpers/wait';
import { UdpPeer, statusOf, header } from '../helpers/sip-peer';

interface Side {
  ctl(...args: string[]): CtlResult;
  stop(): Promise<void>;
}

function cfg(port: number): string {
  return `debug=2
log_stderror=yes
auto_aliases=no
children=1
listen=udp:127.0.0.1:${port}
loadmodule "sl.so"
loadmodule "pike.so"
loadmodule "ctl.so"
modparam("ctl", "binrpc", "unix:{DIR}/ctl.sock")
modparam("pike", "sampling_time_unit", 1)
modparam("pike", "reqs_density_per_unit", 16)
modparam("pike", "remove_latency", 10)
request_route {
	if (!pike_check_req()) {
		sl_send_reply("503", "Blocked");
		exit;
	}
	sl_send_reply("200", "OK");
}
`;
}

async function startSide(impl: 'dsd' | 'kamailio', port: number): Promise<Side> {
  if (impl === 'dsd') {
    const d = await startDsd({ cfg: cfg(port) });
    return {
      ctl: (...a) => dsctl(`${d.dir}/ctl.sock`, ...a),
      stop: async () => {
        assert.equal(await d.stop(), 0);
      },
    };
  }
  const k = await startKamailio({ cfg: cfg(port) });
  return { ctl: (...a) => kamcmd(k.ctlSock!, ...a), stop: () => k.stop() };
}

let seq = 0;
function options(px: number, from: UdpPeer): { text: string; id: string } {
  const id = `pike-${process.pid}-${++seq}`;
  return {
    id,
    text:
      `OPTIONS sip:ping@127.0.0.1:${px} SIP/2.0\r\nVia: SIP/2.0/UDP ${from.host}:${from.port};branch=z9hG4bK${id}\r\n` +
      `From: <sip:t@${from.host}>;tag=${id}\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: ${id}\r\nCSeq: 1 OPTIONS\r\n` +
      'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
  };
}

/** Sends one request and waits for its answer; returns the status. */
async function ask(px: number, from: UdpPeer): Promise<number> {
  const r = options(px, from);
  await from.send(r.text, px);
  const m = await from.waitFor((x) => header(x.text, 'call-id') === r.id, 10_000);
  return statusOf(m.text);
}

async function scenario(impl: 'dsd' | 'kamailio'): Promise<void> {
  const [px] = await freePorts(1);
  const side = await startSide(impl, px);
  const a = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
  const b = await UdpPeer.open({ host: '127.0.0.2', port: 0 });
  try {
    // a burst of 100 from 127.0.0.1: the first ones pass, the rest are refused. All handed to
    // the kernel in one tick (not one send per event-loop turn), so a starved test process
    // cannot stretch the burst over several sampling units
    const burst = Array.from({ length: 100 }, () => options(px, a));
    const ids = burst.map((r) => r.id);
    await Promise.all(burst.map((r) => a.send(r.text, px)));
    const answers = await waitUntil(
      () => {
        const got = ids.map((id) => a.received.find((m) => header(m.text, 'call-id') === id));
        return got.every(Boolean) ? got.map((m) => statusOf(m!.text)) : null;
      },
      { what: 'an answer to each of the 100 requests' },
    );
    const ok = answers.filter((s) => s === 200).length;
    // 21 when the burst fits in one sampling unit; more when a unit boundary fell inside it
    assert.ok(ok >= 21 && ok < 100, `${impl}: ${ok} of 100 passed`);
    assert.deepEqual(answers.slice(0, 21), new Array(21).fill(200), `${impl}: the first 21 pass`);
    assert.equal(answers[answers.length - 1], 503, `${impl}: the end of the burst is refused`);
    // another address is served meanwhile
    assert.equal(await ask(px, b), 200);
    const top = side.ctl('pike.top');
    assert.equal(top.code, 0, top.err);
    assert.match(top.out, /ip_addr: 127\.0\.0\.1/);
    assert.match(top.out, /status: HOT/);
    // quiet now: asked every 500 ms (2 per unit, far below 16), 127.0.0.1 is let back
    await waitUntil(
      async () => {
        await pause(500);
        return (await ask(px, a)) === 200;
      },
      { what: `${impl} to let 127.0.0.1 back`, timeoutMs: 60_000 },
    );
    // and once nothing comes from it for remove_latency, it leaves the table
    await waitUntil(() => !/127\.0\.0\.1/.test(side.ctl('pike.top', 'ALL').out), {
      what: `${impl} to forget 127.0.0.1`,
      timeoutMs: 60_000,
    });
  } finally {
    await a.close();
    await b.close();
    await side.stop();
  }
}

describe('pike', { timeout: 180_000 }, () => {
  test('dsd: a source above the density is refused, let back when quiet, forgotten after remove_latency', async () => {
    await scenario('dsd');
  });
  test('Kamailio 5.6 does the same on the same cfg (oracle)', { skip: needs('kamailio', 'kamcmd') }, async () => {
    await scenario('kamailio');
  });
});
