/**
 * RFC 4475 torture messages through a running dsd, one subtest per message, scored by
 * the rules in /work/shared/rfc4475/index.json ("about.rules").
 *
 * dsd listens on 127.0.0.1 (UDP and TCP) with set 1 = two recording backends that
 * answer 200. Every file is sent byte for byte over UDP from 127.0.0.2:5060. The Via
 * hosts are foreign, so dsd answers to 127.0.0.2:<top Via port>; the test listens on
 * 127.0.0.2 on every such port. All messages are sent first (one after the other, each
 * until something decisive happened or a short quiet window passed), then the test
 * waits only as long as a pending DNS lookup in dsd could still produce something;
 * events are attributed to a message by Call-ID (by send window when there is none),
 * so a late answer is still scored against the message that caused it.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startDsd, basicCfg, Dsd, SHARED, destinationList } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { UdpPeer, Received, answer200, headerValues, headerLines, statusOf, sleep, bodyOf } from '../helpers/sip-peer';
import { at } from '../helpers/at';

const DIR = path.join(SHARED, 'rfc4475');

interface TortureMessage {
  name: string;
  file: string;
  section: string;
  title: string;
  type: 'request' | 'response';
  rule:
    | 'accept'
    | 'accept_first'
    | 'accept_or_400'
    | 'drop_response'
    | 'reject'
    | 'reject_or_repair'
    | 'reject_or_accept'
    | 'reply';
  codes?: number[];
  header?: [string, string];
  defect?: string;
  noise_callid?: string;
  bytes: number;
  sha256: string;
}

const INDEX = JSON.parse(fs.readFileSync(path.join(DIR, 'index.json'), 'utf8')) as {
  about: { rules: Record<string, string> };
  messages: TortureMessage[];
};

/** How long to watch for anything after a message that caused nothing decisive. */
const QUIET_MS = 400;
/** After a decisive event, how long to keep attributing stray events by window. */
const GRACE_MS = 120;
/** dsd caps a DNS lookup at 3 s; an undecided message may still cause a 478 until then. */
const DNS_CAP_MS = 3000;

interface Event {
  kind: 'forward' | 'answer';
  m: Received;
}

interface Outcome {
  sha256: string;
  sentAt: number;
  events: Event[];
}

/** The header section of a file (up to its first blank line), as latin1 text. */
function headSection(buf: Buffer): string {
  const e = buf.indexOf('\r\n\r\n');
  return buf.toString('latin1', 0, e < 0 ? buf.length : e + 4);
}

/** Where dsd's answer to this request goes: 127.0.0.2:<top Via port>, 5060 by default. */
function answerPort(head: string): number {
  const via = headerLines(head).find(([n]) => n === 'via');
  if (!via) return 5060;
  const m = /^SIP\s*\/\s*[^/]+\/\s*[A-Za-z0-9-]+\s+(\[[^\]]*\]|[^\s;:,]+)\s*(?::\s*(\d+))?/i.exec(via[1]);
  if (!m || !m[2]) return 5060;
  if (/;\s*rport/i.test(at(at(via, 1).split(','), 0))) return 5060; // rport: back to the source port
  return Number(m[2]);
}

/**
 * The index's regexes are PCRE-flavoured (inline `(?im)`, `\A`); JS takes flags as an
 * argument and has no `\A` (equal to `^` when the `m` flag is off).
 */
export function pcreToJs(re: string): RegExp {
  let flags = '';
  const m = /^\(\?([a-z]+)\)/.exec(re);
  if (m) {
    flags = at(m, 1);
    re = re.slice(m[0].length);
  }
  if (re.includes('\\A')) {
    assert.ok(!flags.includes('m'), '\\A with the m flag cannot be translated');
    re = re.replaceAll('\\A', '^');
  }
  return new RegExp(re, flags);
}

/** Binds 127.0.0.2:port, falling back to SO_REUSEADDR when a wildcard bind holds the port. */
async function bindUpstream(port: number): Promise<UdpPeer> {
  try {
    return await UdpPeer.open({ host: '127.0.0.2', port });
  } catch {
    try {
      return await UdpPeer.open({ host: '127.0.0.2', port, reuseAddr: true });
    } catch (e) {
      throw new Error(`cannot listen on 127.0.0.2:${port} where dsd's answers go: ${(e as Error).message}`);
    }
  }
}

describe('RFC 4475 torture messages through dsd', { timeout: 180_000 }, () => {
  let dsd: Dsd | null = null;
  let px = 0;
  let backends: UdpPeer[] = [];
  let sender: UdpPeer | null = null;
  const upstream = new Map<number, UdpPeer>();
  const outcomes = new Map<string, Outcome>();
  /** Events whose Call-ID is the dblreq trailing noise. */
  const noise: Event[] = [];
  const noiseIds = new Set(INDEX.messages.map((m) => m.noise_callid).filter((x): x is string => !!x));

  before(async () => {
    [px] = await freePorts(1);
    const [b1, b2] = await freePorts(2);
    backends = [
      await UdpPeer.open({ host: '127.0.0.1', port: b1, answer: answer200 }),
      await UdpPeer.open({ host: '127.0.0.1', port: b2, answer: answer200 }),
    ];
    const files = INDEX.messages.map((m) => fs.readFileSync(path.join(DIR, m.file)));
    const ports = new Set<number>([5060]);
    for (const f of files) ports.add(answerPort(headSection(f)));
    for (const p of ports) upstream.set(p, await bindUpstream(p));
    sender = upstream.get(5060)!;
    dsd = await startDsd({
      cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`, `tcp:127.0.0.1:${px}`] }),
      list: destinationList([b1, b2]),
    });

    // Call-ID → message, for attributing what the listeners see
    const byCallId = new Map<string, string>();
    INDEX.messages.forEach((m, i) => {
      for (const id of headerValues(headSection(at(files, i)), 'call-id')) byCallId.set(id, m.name);
    });
    let current: string | null = null;
    const route = (kind: Event['kind'], m: Received): void => {
      const ev = { kind, m };
      const id = headerValues(m.text, 'call-id')[0];
      if (id !== undefined && noiseIds.has(id)) {
        noise.push(ev);
        return;
      }
      const owner = (id !== undefined ? byCallId.get(id) : undefined) ?? current;
      if (owner) outcomes.get(owner)?.events.push(ev);
    };
    for (const b of backends) b.onMessage((x) => route('forward', x));
    for (const u of upstream.values()) u.onMessage((x) => route('answer', x));
    const decided = (o: Outcome): boolean => o.events.some((e) => e.kind === 'forward' || statusOf(e.m.text) >= 200);

    for (let i = 0; i < INDEX.messages.length; i++) {
      const m = at(INDEX.messages, i);
      const buf = at(files, i);
      const o: Outcome = {
        sha256: crypto.createHash('sha256').update(buf).digest('hex'),
        sentAt: Date.now(),
        events: [],
      };
      outcomes.set(m.name, o);
      if (o.sha256 !== m.sha256 || buf.length !== m.bytes) continue; // scored as a failure below
      current = m.name;
      o.sentAt = Date.now();
      await sender.send(buf, px, '127.0.0.1');
      const until = Date.now() + QUIET_MS;
      while (Date.now() < until) {
        await sleep(10);
        if (decided(o)) {
          await sleep(GRACE_MS);
          break;
        }
      }
    }
    // a barrier: a valid request through the same path (dsd → backend → dsd → upstream).
    // dsd reads its socket in order, so once this answer is back every earlier message's
    // immediate outcome is in too, however slow the machine
    current = null;
    const barrier = await aliveOptions(sender!, px);
    assert.equal(statusOf(barrier.text), 200, 'the barrier OPTIONS');
    // a message still undecided may be waiting on dsd's capped DNS lookup
    let settleUntil = Date.now() + 300;
    for (const o of outcomes.values())
      if (!decided(o)) settleUntil = Math.max(settleUntil, o.sentAt + DNS_CAP_MS + 500);
    current = null;
    while (Date.now() < settleUntil) await sleep(20);
  });

  after(async () => {
    if (dsd) await dsd.stop();
    for (const b of backends) await b.close();
    for (const u of upstream.values()) await u.close();
  });

  for (const m of INDEX.messages) {
    test(`${m.name} (§${m.section}, ${m.title}): ${m.rule}`, (t) => {
      const o = outcomes.get(m.name);
      assert.ok(o, 'message not sent');
      t.diagnostic(describeOutcome(o));
      assert.equal(o.sha256, m.sha256, `${m.file} is not byte-exact`);
      score(m, o, noise);
    });
  }

  // not an RFC 4475 rule: a forwarded copy must also be usable by the next hop, so the
  // backend's 200 has to find its way back upstream through dsd's Via handling
  test("the backend's 200 to every forwarded request is relayed upstream", () => {
    const lost: string[] = [];
    for (const m of INDEX.messages) {
      const o = outcomes.get(m.name)!;
      const fwd = o.events.some((e) => e.kind === 'forward' && statusOf(e.m.text) === 0);
      if (fwd && !o.events.some((e) => e.kind === 'answer' && statusOf(e.m.text) === 200)) lost.push(m.name);
    }
    assert.deepEqual(lost, []);
  });

  test('dsd still answers a valid OPTIONS after all 49, and stops with exit code 0', async () => {
    assert.ok(dsd && sender);
    assert.equal(dsd.proc.exitCode, null, 'dsd is running');
    const r = await aliveOptions(sender, px);
    assert.equal(statusOf(r.text), 200);
    const code = await dsd.stop();
    dsd = null;
    assert.equal(code, 0);
  });
});

/** A valid OPTIONS through dsd from 127.0.0.2:5060; resolves with its final answer. */
async function aliveOptions(sender: UdpPeer, px: number): Promise<Received> {
  const callId = `alive-${crypto.randomBytes(6).toString('hex')}`;
  const req = [
    `OPTIONS sip:alive@127.0.0.1:${px} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK${callId}`,
    'Max-Forwards: 70',
    `From: <sip:t@127.0.0.2>;tag=a1`,
    `To: <sip:alive@127.0.0.1>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const from = sender.received.length;
  await sender.send(req, px, '127.0.0.1');
  return sender.waitFor((x) => statusOf(x.text) >= 200 && x.text.includes(callId), 30_000, from);
}

function describeOutcome(o: Outcome): string {
  return (
    o.events
      .map((e) => `${e.kind} +${e.m.at - o.sentAt}ms: ${e.m.text.slice(0, e.m.text.indexOf('\r\n'))}`)
      .join(' | ') || 'nothing'
  );
}

// ---- scoring ------------------------------------------------------------------------

function score(m: TortureMessage, o: Outcome, noise: Event[]): void {
  const fwd = o.events.filter((e) => e.kind === 'forward' && statusOf(e.m.text) === 0).map((e) => e.m);
  const answers = o.events.filter((e) => e.kind === 'answer' && statusOf(e.m.text) !== 0).map((e) => e.m);
  const finals = answers.map((a) => statusOf(a.text)).filter((c) => c >= 200);
  const all = answers.map((a) => statusOf(a.text));
  const seen = `forwarded ${fwd.length}x, answered [${all.join(',')}]`;
  const codes = m.codes ?? [400];
  const accepted = fwd.length > 0 || finals.some((c) => c !== 400 && c !== 500);
  const rejected = fwd.length === 0 && all.every((c) => codes.includes(c));
  switch (m.rule) {
    case 'accept':
      assert.ok(accepted, `a valid request must be forwarded or answered (not 400/500): ${seen}`);
      break;
    case 'accept_first':
      assert.ok(accepted, `the first request must be processed: ${seen}`);
      assert.equal(noise.length, 0, `the trailing octets (Call-ID ${m.noise_callid}) were forwarded or answered`);
      break;
    case 'accept_or_400':
      assert.ok(
        fwd.length > 0 || (finals.length > 0 && finals.every((c) => c !== 500)),
        `forwarded or answered (not 500): ${seen}`,
      );
      break;
    case 'drop_response':
      assert.equal(fwd.length + o.events.length, 0, `a response to discard caused traffic: ${seen}`);
      break;
    case 'reject':
      assert.ok(rejected, `must not be forwarded; answered with ${codes.join('/')} or dropped: ${seen}`);
      break;
    case 'reject_or_repair': {
      if (fwd.length > 0) {
        const re = pcreToJs(m.defect!);
        for (const f of fwd) {
          const head = headSection(f.data);
          assert.ok(!re.test(head), `forwarded with the defect (${m.defect}) still there:\n${head}`);
        }
      } else {
        assert.ok(
          finals.every((c) => c !== 500) && (rejected || all.length === 0 || finals.some((c) => c !== 400)),
          `neither rejected nor processed: ${seen}`,
        );
      }
      break;
    }
    case 'reject_or_accept':
      if (fwd.length > 0) {
        // "forwarded as is": the field a proxy does not use is passed on unchanged
        const orig = fs.readFileSync(path.join(DIR, m.file));
        for (const f of fwd) {
          assert.deepEqual(headerValues(f.text, 'date'), headerValues(headSection(orig), 'date'), 'Date changed');
          assert.ok(bodyOf(f.data).equals(bodyOf(orig)), 'body changed');
        }
      } else {
        assert.ok(
          finals.every((c) => c !== 500),
          `answered 500: ${seen}`,
        );
      }
      break;
    case 'reply': {
      assert.equal(fwd.length, 0, `must not be forwarded: ${seen}`);
      assert.ok(finals.length > 0, `silence: ${seen}`);
      for (const c of finals) assert.ok(codes.includes(c), `final ${c} not in ${codes.join('/')}: ${seen}`);
      if (m.header) {
        const [name, want] = m.header;
        for (const a of answers.filter((x) => statusOf(x.text) >= 200)) {
          const vals = headerValues(a.text, name.toLowerCase());
          assert.ok(
            vals.some((v) => v.includes(want)),
            `the ${statusOf(a.text)} lacks ${name}: …${want}…:\n${a.text}`,
          );
        }
      }
      break;
    }
    default:
      assert.fail(`unknown rule ${m.rule as string}`);
  }
}
