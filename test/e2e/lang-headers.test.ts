/**
 * Language cases that shape the headers of what the proxy sends, each run on dsd and on
 * Kamailio 5.6 with the same cfg and compared line for line:
 * - server_header / user_agent_header hold the whole header line (`Server: edge-1`);
 * - $fu $fU $fd $fn $tu $tU $td $tn are writable (a lump: the forwarded request changes,
 *   the variables go on reading the message as received);
 * - Max-Forwards leaves as it came unless the script called mf_process_maxfwd_header
 *   (the core and tm leave it alone, also when it is absent).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPair, Pair, Side, sendFromUa, finalReply, request } from '../helpers/compat';
import { needs } from '../helpers/require';
import { answer200, callIdOf, Received } from '../helpers/sip-peer';
import { at } from '../helpers/at';

const CFG = `#!KAMAILIO
debug=2
log_stderror=yes
children=1
auto_aliases=no
listen=udp:127.0.0.1:{PX}
server_header="Server: edge-1"
user_agent_header="User-Agent: edge-ua"

loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "maxfwd.so"

request_route {
  if ($rU == "local") { sl_send_reply("200", "Local"); exit; }
  if ($rU == "mf") {
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  }
  if ($rU == "f1") { $fU = "x"; $td = "t.example"; append_hf("X-Read: $fU $td\\r\\n"); }
  if ($rU == "f2") { $fu = "sip:carol@c.example"; $tn = "\\"Tee\\""; }
  if ($rU == "f3") { $fn = $null; $tU = $null; $fd = "d.example"; }
  if ($rU == "f4") { $fn = "\\"Neu\\""; $tU = "newuser"; }
  if ($rU == "f5") { $fU = "added"; $tu = "sip:bob@b.example"; }
  if ($rU == "f6") { $fu = $null; $fd = $null; $tn = $null; }
  $du = "sip:127.0.0.1:{B0}";
  t_relay();
}
`;

/** The exact header line(s) named `name` (case-insensitive), in order. */
function lines(text: string, name: string): string[] {
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  return head
    .split('\r\n')
    .slice(1)
    .filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
}

const skip = needs('kamailio');

describe('header semantics: dsd against Kamailio 5.6', { skip, timeout: 90_000 }, () => {
  let pair: Pair;

  before(async () => {
    pair = await startPair({ cfg: CFG, backends: 1, answer: () => answer200 });
  });
  after(async () => {
    await pair?.stop();
  });

  /** Sends `method` to user `user` on a side; returns what the backend got and the final reply. */
  async function through(
    side: Side,
    user: string,
    method = 'MESSAGE',
    opts: Parameters<typeof request>[5] = {},
  ): Promise<{ fwd: Received | null; reply: Received }> {
    const be = at(side.backends, 0);
    const bmark = be.received.length;
    const r = await sendFromUa(side, (cid, px, up) =>
      request(method, `sip:${user}@127.0.0.1:${px}`, cid, up, [], opts),
    );
    const reply = await finalReply(side, r);
    const fwd = be.matching((m) => callIdOf(m.text) === r.callId, bmark)[0] ?? null;
    return { fwd, reply };
  }

  async function both(user: string, method?: string, opts?: Parameters<typeof request>[5]) {
    const [d, k] = await Promise.all(pair.sides.map((s) => through(s, user, method, opts)));
    assert.ok(d && k, 'dsd and Kamailio both ran');
    return { d, k };
  }

  it('server_header is the whole Server line of local replies', async () => {
    const { d, k } = await both('local');
    assert.deepEqual(lines(k.reply.text, 'server'), ['Server: edge-1']);
    assert.deepEqual(lines(d.reply.text, 'server'), lines(k.reply.text, 'server'));
  });

  it('100 Trying from tm carries the same Server line', async () => {
    const rs = await Promise.all(
      pair.sides.map(async (s) => {
        const mark = s.ua.received.length;
        const r = await sendFromUa(s, (cid, px, up) => request('INVITE', `sip:inv@127.0.0.1:${px}`, cid, up));
        const trying = await s.ua.waitFor(
          (m) => callIdOf(m.text) === r.callId && m.text.startsWith('SIP/2.0 100'),
          30_000,
          mark,
        );
        await finalReply(s, r);
        return lines(trying.text, 'server');
      }),
    );
    assert.deepEqual(rs[1], ['Server: edge-1']);
    assert.deepEqual(rs[0], rs[1]);
  });

  for (const user of ['f1', 'f2', 'f3', 'f4', 'f5', 'f6']) {
    it(`From/To assignments (${user}) change the forwarded request as Kamailio's do`, async () => {
      const opts = user === 'f5' ? { from: '<sip:a.example>' } : {};
      const { d, k } = await both(user, 'MESSAGE', opts);
      assert.ok(k.fwd && d.fwd, 'both forwarded');
      const norm = (side: Side, t: string): string[] =>
        ['from', 'to', 'x-read'].flatMap((h) => lines(t, h)).map((l) => l.replaceAll(`:${side.px}`, ':PX'));
      assert.deepEqual(norm(pair.dsd, d.fwd.text), norm(pair.kamailio, k.fwd.text), user);
      assert.equal(d.reply.text.slice(0, 12), k.reply.text.slice(0, 12));
    });
  }

  it('Max-Forwards is left alone without mf_process_maxfwd_header', async () => {
    const { d, k } = await both('plain');
    assert.deepEqual(lines(k.fwd!.text, 'max-forwards'), ['Max-Forwards: 70']);
    assert.deepEqual(lines(d.fwd!.text, 'max-forwards'), lines(k.fwd!.text, 'max-forwards'));
  });

  it('an absent Max-Forwards stays absent through tm', async () => {
    const { d, k } = await both('plain', 'MESSAGE', { maxForwards: null });
    assert.deepEqual(lines(d.fwd!.text, 'max-forwards'), lines(k.fwd!.text, 'max-forwards'));
  });

  it('mf_process_maxfwd_header decrements, or adds its limit when absent', async () => {
    const a = await both('mf');
    assert.deepEqual(lines(a.k.fwd!.text, 'max-forwards'), ['Max-Forwards: 69']);
    assert.deepEqual(lines(a.d.fwd!.text, 'max-forwards'), lines(a.k.fwd!.text, 'max-forwards'));
    const b = await both('mf', 'MESSAGE', { maxForwards: null });
    assert.deepEqual(lines(b.d.fwd!.text, 'max-forwards'), lines(b.k.fwd!.text, 'max-forwards'));
  });
});
