// dsd-test: alone — an INVITE flood filling the transaction bounds (scripts/run-tests.js)
/**
 * The bound on transactions in flight, over SIP: a flood of INVITEs to a backend that
 * never answers fills max_transactions_per_source for its source, and every INVITE above
 * it is answered 503 with Retry-After (none is forwarded); calls from another source
 * still complete end to end meanwhile and dispatcher keepalives keep flowing; a second
 * flooding source fills the global max_transactions, after which everyone gets 503.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDsd } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { waitUntil } from '../helpers/wait';
import { UdpPeer, statusOf, header, methodOf, makeResponse, Received } from '../helpers/sip-peer';

function cfg(px: number): string {
  return `debug=2
log_stderror=yes
auto_aliases=no
listen=udp:127.0.0.1:${px}
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "ctl.so"
loadmodule "dispatcher.so"
modparam("ctl", "binrpc", "unix:{DIR}/ctl.sock")
modparam("tm", "fr_timer", 120000)
modparam("tm", "fr_inv_timer", 120000)
modparam("tm", "max_transactions", 150)
modparam("tm", "max_transactions_per_source", 100)
modparam("tm", "busy_retry_after", 7)
modparam("dispatcher", "list_file", "{DIR}/dispatcher.list")
modparam("dispatcher", "ds_ping_interval", 1)
modparam("dispatcher", "ds_probing_mode", 1)
request_route {
	if ($rU == "probe") {
		$var(set) = 2;
	} else {
		$var(set) = 1;
	}
	if (!ds_select_dst("$var(set)", "4")) {
		sl_send_reply("500", "No Destination");
		exit;
	}
	t_relay();
}
`;
}

let seq = 0;
function invite(px: number, from: UdpPeer, user: string): { id: string; text: string } {
  const id = `flood-${process.pid}-${++seq}`;
  const text =
    `INVITE sip:${user}@127.0.0.1:${px} SIP/2.0\r\nVia: SIP/2.0/UDP ${from.host}:${from.port};branch=z9hG4bK${id}\r\n` +
    `From: <sip:a@${from.host}>;tag=${id}\r\nTo: <sip:${user}@127.0.0.1>\r\nCall-ID: ${id}\r\nCSeq: 1 INVITE\r\n` +
    `Contact: <sip:a@${from.host}:${from.port}>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
  return { id, text };
}

const ofCall =
  (id: string) =>
  (m: Received): boolean =>
    header(m.text, 'call-id') === id;

/**
 * Sends `n` INVITEs in batches of 25 (a burst of UDP answers larger than that could
 * overflow the test socket's receive buffer) and waits until each has its first answer
 * (100 or 503); returns those answers in sending order.
 */
async function flood(px: number, from: UdpPeer, n: number): Promise<Received[]> {
  const out: Received[] = [];
  for (let done = 0; done < n; done += 25) {
    const ids: string[] = [];
    for (let i = done; i < Math.min(n, done + 25); i++) {
      const r = invite(px, from, 'flood');
      ids.push(r.id);
      await from.send(r.text, px);
    }
    out.push(
      ...(await waitUntil(
        () => {
          const got = ids.map((id) => from.received.find((m) => ofCall(id)(m) && statusOf(m.text) > 0));
          return got.every(Boolean) ? (got as Received[]) : null;
        },
        { what: `an answer to each of INVITEs ${done + 1}..${done + ids.length}` },
      )),
    );
  }
  return out;
}

test(
  "above the transaction bound new requests get 503 + Retry-After, other sources' calls still complete",
  { timeout: 180_000 },
  async () => {
    const [px, silentPort, livePort] = await freePorts(3);
    const peers: UdpPeer[] = [];
    const open = async (o: Parameters<typeof UdpPeer.open>[0]): Promise<UdpPeer> => {
      const p = await UdpPeer.open(o);
      peers.push(p);
      return p;
    };
    let dsd: Awaited<ReturnType<typeof startDsd>> | undefined;
    try {
      // answers keepalives (so it stays in use) and never an INVITE
      const silent = await open({
        host: '127.0.0.1',
        port: silentPort,
        answer: (req) => (methodOf(req.text) === 'OPTIONS' ? makeResponse(req.text, 200, 'OK') : null),
      });
      const live = await open({
        host: '127.0.0.1',
        port: livePort,
        answer: (req) =>
          methodOf(req.text) === 'ACK'
            ? null
            : makeResponse(req.text, 200, 'OK', [`Contact: <sip:b@127.0.0.1:${livePort}>`]),
      });
      const attacker = await open({ host: '127.0.0.1', port: 0 });
      const attacker2 = await open({ host: '127.0.0.3', port: 0 });
      const caller = await open({ host: '127.0.0.2', port: 0 });
      const list = `1 sip:127.0.0.1:${silentPort} 0 0\n2 sip:127.0.0.1:${livePort} 0 0\n`;
      dsd = await startDsd({ cfg: cfg(px), list });
      const answers = await flood(px, attacker, 400);
      const trying = answers.filter((m) => statusOf(m.text) === 100);
      const busy = answers.filter((m) => statusOf(m.text) === 503);
      assert.equal(trying.length, 100, 'max_transactions_per_source INVITEs are taken');
      assert.equal(busy.length, 300, 'every other one is refused');
      for (const m of busy) assert.equal(header(m.text, 'retry-after'), '7');
      // only the admitted ones went downstream
      await waitUntil(() => new Set(silent.received.map((m) => header(m.text, 'call-id'))).size >= 100, {
        what: '100 forwarded INVITEs',
      });
      const forwarded = new Set(
        silent.received.filter((m) => methodOf(m.text) === 'INVITE').map((m) => header(m.text, 'call-id')),
      );
      const refused = new Set(busy.map((m) => header(m.text, 'call-id')));
      for (const id of forwarded) assert.ok(!refused.has(id), `${id} was refused and still forwarded`);

      // calls from another source complete while the flood holds its share
      const pingsBefore = live.received.filter((m) => methodOf(m.text) === 'OPTIONS').length;
      for (let i = 0; i < 5; i++) {
        const c = invite(px, caller, 'probe');
        await caller.send(c.text, px);
        const ok = await caller.waitFor((m) => ofCall(c.id)(m) && statusOf(m.text) === 200, 30_000);
        assert.equal(statusOf(ok.text), 200);
      }
      // and dispatcher keepalives still go out and come back
      await waitUntil(() => live.received.filter((m) => methodOf(m.text) === 'OPTIONS').length > pingsBefore + 1, {
        what: 'keepalives during the flood',
      });

      // a second flooding source fills the global bound (150): 50 taken, 50 refused
      const second = await flood(px, attacker2, 100);
      assert.equal(second.filter((m) => statusOf(m.text) === 100).length, 50);
      assert.equal(second.filter((m) => statusOf(m.text) === 503).length, 50);
      // now the bound is reached for everyone
      const late = invite(px, caller, 'probe');
      await caller.send(late.text, px);
      const refusedLate = await caller.waitFor((m) => ofCall(late.id)(m) && statusOf(m.text) >= 200, 30_000);
      assert.equal(statusOf(refusedLate.text), 503);
      assert.match(dsd.output(), /started, listening/);
    } finally {
      dsd?.proc.kill('SIGKILL'); // 250 INVITEs are still waiting for fr_timer: no drain
      await dsd?.stop();
      for (const p of peers) await p.close();
    }
  },
);
