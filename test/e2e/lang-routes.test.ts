/**
 * Route and record cases on dsd and on Kamailio 5.6 with the same cfg, compared by what
 * the backends and the UA see:
 * - a script edit of `$xavp(_dsdst_)` is what ds_next_dst() reads (the xavp is the one
 *   record store): the failure route rewrites the next record's URI, the retry goes there;
 * - xavp_rm("_dsdst_") in the failure route leaves ds_next_dst() nothing;
 * - onreply_route[NAME] armed with t_on_reply and the core reply_route both run, and drop
 *   in them keeps a provisional reply from going upstream;
 * - branch_route armed with t_on_branch runs once per branch (dispatcher alg 12 forks to
 *   every destination of a set), its header edits go to that branch only, and drop()
 *   there cancels the branch.
 * Nothing here waits on a timeout (b0 answers 500 at once), so fr_timer is long; a request a
 * slow machine retransmits (same text) counts once, and so does each reply code the UA gets.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPair, Pair, Side } from '../helpers/compat';
import { needs } from '../helpers/require';
import { makeResponse, methodOf, statusOf, callIdOf, header, Received } from '../helpers/sip-peer';

const CFG = `#!KAMAILIO
debug=2
log_stderror=yes
children=1
auto_aliases=no
listen=udp:127.0.0.1:{PX}

loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "xlog.so"
loadmodule "dispatcher.so"

modparam("dispatcher", "list_file", "{DIR}/dispatcher.list")
modparam("dispatcher", "flags", 2)
modparam("dispatcher", "ds_ping_interval", 0)
modparam("tm", "fr_timer", 15000)

request_route {
  if ($rU == "xedit" || $rU == "xrm") {
    if (!ds_select_dst("1", "8")) { sl_send_reply("404", "No destination"); exit; }
    t_on_failure("RETRY");
    t_relay();
    exit;
  }
  if ($rU == "br") {
    ds_select_dst("2", "12");
    t_on_branch("PERBRANCH");
    t_relay();
    exit;
  }
  if ($rU == "brdrop") {
    ds_select_dst("2", "12");
    t_on_branch("DROPSOME");
    t_relay();
    exit;
  }
  if ($rU == "rpl") {
    $du = "sip:127.0.0.1:{B1}";
    t_on_reply("ONR");
    t_relay();
    exit;
  }
  sl_send_reply("404", "Unknown");
}

onreply_route[ONR] {
  if ($rs == 180) drop;
}

reply_route {
  if ($rs == 183) drop;
}

failure_route[RETRY] {
  if ($rU == "xedit") $xavp(_dsdst_[1]=>uri) = "sip:127.0.0.1:{B2}";
  if ($rU == "xrm") xavp_rm("_dsdst_");
  if (ds_next_dst()) { t_relay(); exit; }
  t_reply("503", "No more");
}

branch_route[PERBRANCH] {
  append_hf("X-Branch: $du\\r\\n");
}

branch_route[DROPSOME] {
  if ($du == "sip:127.0.0.1:{B1}") drop;
  append_hf("X-Kept: $du\\r\\n");
}
`;

const LIST = '1 sip:127.0.0.1:{B0} 0 10\n1 sip:127.0.0.1:{B1} 0 5\n2 sip:127.0.0.1:{B1}\n2 sip:127.0.0.1:{B2}\n';

const skip = needs('kamailio');

describe('routes and xavps: dsd against Kamailio 5.6', { skip, timeout: 90_000 }, () => {
  let pair: Pair;

  before(async () => {
    pair = await startPair({
      cfg: CFG,
      files: { 'dispatcher.list': LIST },
      backends: 3,
      // b0 fails every request with 500; b1 and b2 answer 200
      answer: (_impl, b, peer) => (req: Received) => {
        if (methodOf(req.text) === 'ACK' || statusOf(req.text) !== 0) return null;
        if (req.text.startsWith('MESSAGE sip:rpl@')) {
          // 183, 180, 181 first: the core reply_route drops the 183, onreply_route[ONR] the 180
          for (const [c, r] of [
            [183, 'Progress'],
            [180, 'Ringing'],
            [181, 'Forwarded'],
          ] as const) {
            void peer.send(makeResponse(req.text, c, r), req.from.port, req.from.ip);
          }
        }
        return b === 0 ? makeResponse(req.text, 500, 'Down') : makeResponse(req.text, 200, 'OK');
      },
    });
  });
  after(async () => {
    await pair?.stop();
  });

  let seq = 0;
  /** Sends MESSAGE to `user`; returns the final status and, per backend, the requests it got. */
  async function run(side: Side, user: string): Promise<{ status: number; got: string[][]; replies: number[] }> {
    const callId = `routes-${user}-${++seq}@test`;
    const marks = side.backends.map((b) => b.received.length);
    const mark = side.ua.received.length;
    await side.ua.send(
      `MESSAGE sip:${user}@127.0.0.1:${side.px} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${side.ua.port};branch=z9hG4bKr${seq}${user};rport\r\n` +
        `From: <sip:alice@a.example>;tag=rt${seq}\r\nTo: <sip:${user}@b.example>\r\nCall-ID: ${callId}\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
      side.px,
    );
    const final = await side.ua.waitFor((m) => callIdOf(m.text) === callId && statusOf(m.text) >= 200, 30_000, mark);
    const got = side.backends.map((b, i) =>
      [...new Set(b.received.slice(marks[i]).map((m) => m.text))]
        .filter((text) => callIdOf(text) === callId && statusOf(text) === 0)
        .map(
          (text) =>
            `${text.slice(0, text.indexOf(' SIP/2.0'))}|${header(text, 'x-branch') ?? ''}|${header(text, 'x-kept') ?? ''}`,
        )
        .map((t) =>
          side.backends.reduce(
            (acc, p, j) => acc.replaceAll(`:${p.port}`, `:B${j}`),
            t.replaceAll(`:${side.px}`, ':PX'),
          ),
        ),
    );
    const replies = [
      ...new Set(
        side.ua.received
          .slice(mark)
          .filter((m) => callIdOf(m.text) === callId)
          .map((m) => statusOf(m.text)),
      ),
    ];
    return { status: statusOf(final.text), got, replies };
  }

  async function both(user: string) {
    const [d, k] = await Promise.all(pair.sides.map((s) => run(s, user)));
    assert.ok(d && k, 'dsd and Kamailio both ran');
    return { d, k };
  }

  it('$xavp(_dsdst_[1]=>uri) edited in failure_route: ds_next_dst goes where the xavp says', async () => {
    const { d, k } = await both('xedit');
    assert.equal(k.status, 200);
    assert.deepEqual(
      k.got.map((g) => g.length),
      [1, 0, 1],
      'Kamailio: b0 failed, the retry went to the edited URI (b2)',
    );
    assert.deepEqual(d, k);
  });

  it('xavp_rm("_dsdst_") in failure_route: ds_next_dst has nothing left', async () => {
    const { d, k } = await both('xrm');
    assert.equal(k.status, 503);
    assert.deepEqual(d, k);
  });

  it('branch_route runs per branch; its edits reach that branch only', async () => {
    const { d, k } = await both('br');
    assert.deepEqual(
      k.got.map((g) => g.length),
      [0, 1, 1],
    );
    assert.deepEqual(d, k);
  });

  it('onreply_route[NAME] (t_on_reply) and the core reply_route run; drop keeps a provisional from the UA', async () => {
    const { d, k } = await both('rpl');
    assert.equal(k.status, 200);
    assert.ok(
      k.replies.includes(181) && !k.replies.includes(180) && !k.replies.includes(183),
      `Kamailio relayed ${k.replies.join(',')}`,
    );
    assert.deepEqual(d.replies, k.replies);
    assert.deepEqual(d.got, k.got);
  });

  it('drop() in branch_route cancels that branch, the others go out', async () => {
    const { d, k } = await both('brdrop');
    assert.deepEqual(d, k);
  });
});
