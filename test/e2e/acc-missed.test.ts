/**
 * acc's missed calls on dsd and on Kamailio 5.6 (same cfg): an INVITE with
 * log_missed_flag set that fails is reported once as `ACC: call missed:` (the backend's
 * 486, with its To tag), and a failed INVITE with failed_transaction_flag too is
 * reported both as missed and as `transaction answered`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPair, Pair, Side } from '../helpers/compat';
import { needs } from '../helpers/require';
import { waitUntil } from '../helpers/wait';
import { makeResponse, methodOf, statusOf, callIdOf, Received } from '../helpers/sip-peer';

const CFG = `#!KAMAILIO
debug=2
log_stderror=yes
children=1
auto_aliases=no
listen=udp:127.0.0.1:{PX}
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "acc.so"
modparam("acc", "log_flag", 1)
modparam("acc", "log_missed_flag", 2)
modparam("acc", "failed_transaction_flag", 3)
modparam("acc", "log_extra", "src_user=$fU;dst_user=$rU")
request_route {
  setflag(1);
  setflag(2);
  if ($rU == "both") setflag(3);
  $du = "sip:127.0.0.1:{B0}";
  t_relay();
}
`;

function accLines(side: Side): string[] {
  return side
    .output()
    .split('\n')
    .filter((l) => l.includes('ACC: '))
    .map((l) => (side.impl === 'dsd' ? (JSON.parse(l) as { msg: string }).msg : l.slice(l.indexOf('ACC: '))).trimEnd())
    .map((l) => l.replace(/timestamp=\d+/, 'timestamp=T'));
}

describe('acc missed calls: dsd against Kamailio 5.6', { skip: needs('kamailio'), timeout: 60_000 }, () => {
  let pair: Pair;
  before(async () => {
    pair = await startPair({
      cfg: CFG,
      backends: 1,
      answer: () => (req: Received) =>
        methodOf(req.text) === 'ACK' || statusOf(req.text) !== 0 ? null : makeResponse(req.text, 486, 'Busy Here'),
    });
  });
  after(async () => {
    await pair?.stop();
  });

  for (const user of ['missed', 'both']) {
    it(`INVITE to ${user} rejected 486: the same ACC lines`, async () => {
      const before = pair.sides.map((s) => accLines(s).length);
      await Promise.all(
        pair.sides.map(async (s) => {
          const callId = `accm-${user}@test`;
          const mark = s.ua.received.length;
          await s.ua.send(
            `INVITE sip:${user}@127.0.0.1:${s.px} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${s.ua.port};branch=z9hG4bKaccm${user};rport\r\n` +
              `From: <sip:alice@a.example>;tag=m-${user}\r\nTo: <sip:${user}@b.example>\r\nCall-ID: ${callId}\r\nCSeq: 1 INVITE\r\n` +
              `Max-Forwards: 70\r\nContact: <sip:alice@127.0.0.1:${s.ua.port}>\r\nContent-Length: 0\r\n\r\n`,
            s.px,
          );
          await s.ua.waitFor((m) => callIdOf(m.text) === callId && statusOf(m.text) >= 200, 30_000, mark);
        }),
      );
      const want = user === 'both' ? 2 : 1;
      for (const [i, s] of pair.sides.entries())
        await waitUntil(() => accLines(s).length >= before[i]! + want, { what: `${want} ACC line(s) from ${s.impl}` });
      const k = accLines(pair.kamailio).slice(before[1]);
      const d = accLines(pair.dsd).slice(before[0]);
      assert.match(
        k[0]!,
        /^ACC: call missed: timestamp=T;method=INVITE;from_tag=m-\w+;to_tag=peer486;call_id=accm-\w+@test;code=486;reason=Busy Here;src_user=alice;dst_user=\w+$/,
      );
      assert.deepEqual(d, k);
    });
  }
});
