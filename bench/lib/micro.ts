/**
 * Micro-benchmarks of the hot path's pieces, in-process: dsd's SIP parser (parse plus the
 * header reads routing does; parse plus a Via insert through the splice editor) next to
 * the `sip` npm package doing the same, and the script engine's own micro-benchmark when
 * it exists (dist/src/script/bench-script.js). Modules are loaded from dist/ at run time
 * so a missing one is skipped, not a build error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './sipp';

export interface MicroResult {
  name: string;
  usPerOp: number;
  ops: number;
  note?: string;
}

const SDP =
  'v=0\r\n' +
  'o=alice 2890844526 2890844526 IN IP4 10.0.0.10\r\n' +
  's=Bench call\r\n' +
  'c=IN IP4 10.0.0.10\r\n' +
  't=0 0\r\n' +
  'm=audio 49170 RTP/AVP 0 8 18 101\r\n' +
  'a=rtpmap:0 PCMU/8000\r\n' +
  'a=rtpmap:8 PCMA/8000\r\n' +
  'a=rtpmap:18 G729/8000\r\n' +
  'a=fmtp:18 annexb=no\r\n' +
  'a=rtpmap:101 telephone-event/8000\r\n' +
  'a=fmtp:101 0-16\r\n' +
  'a=ptime:20\r\n' +
  'a=sendrecv\r\n';

/** A typical INVITE as a proxy receives it: ~900 bytes, SDP body, a dozen headers. */
function typicalInvite(): Buffer {
  const head =
    'INVITE sip:service@10.0.0.20:5060 SIP/2.0\r\n' +
    'Via: SIP/2.0/UDP 10.0.0.10:5060;branch=z9hG4bK-524287-1---a7c3e9b1f0d2;rport\r\n' +
    'Max-Forwards: 70\r\n' +
    'Contact: <sip:alice@10.0.0.10:5060;transport=udp>\r\n' +
    'To: "Service" <sip:service@10.0.0.20:5060>\r\n' +
    'From: "Alice" <sip:alice@example.com:5060>;tag=3c9e1f2a7b\r\n' +
    'Call-ID: 4f8a2c1e9b7d3f6a0c5e@10.0.0.10\r\n' +
    'CSeq: 1 INVITE\r\n' +
    'Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r\n' +
    'Supported: replaces, norefersub, extended-refer, timer, outbound, path\r\n' +
    'User-Agent: Bench UA 1.0\r\n' +
    'Subject: Performance Test\r\n' +
    'Session-Expires: 1800\r\n' +
    'Content-Type: application/sdp\r\n' +
    `Content-Length: ${SDP.length}\r\n\r\n`;
  return Buffer.from(head + SDP, 'latin1');
}

const VIA = 'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-dsd0f3a9c21.k2x91.0\r\n';

/** Keeps results alive so the optimizer cannot drop the measured work. */
let sink = 0;

/**
 * Runs `fn` in batches until `minMs` passed (at most `maxOps` calls), after a warm-up.
 * The time is the mean over all measured calls, so the garbage collection an operation
 * causes is part of its cost.
 */
function measure(name: string, fn: () => number, minMs = 400, maxOps = 2_000_000): MicroResult {
  for (let i = 0; i < 2000; i++) sink += fn();
  const batch = 1000;
  let ns = 0n;
  let ops = 0;
  const until = Date.now() + minMs;
  while (ops < maxOps && (Date.now() < until || ops < batch * 3)) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) sink += fn();
    ns += process.hrtime.bigint() - t;
    ops += batch;
  }
  return { name, usPerOp: Number(ns) / 1000 / ops, ops };
}

function tryRequire(file: string): Record<string, unknown> | null {
  if (!fs.existsSync(file)) return null;
  try {
    return require(file) as Record<string, unknown>;
  } catch {
    return null;
  }
}

interface DsdSip {
  parseMessage(
    buf: Buffer,
    opts?: { datagram: boolean },
  ): {
    callId: string;
    topVia?: { branch: string | null };
    cseq: { seq: number } | null;
    from: { tag?: string | null } | null;
    to: { tag?: string | null } | null;
    maxForwards: number | null;
    first(name: string): { lineStart: number } | undefined;
  };
  applyEdits(msg: unknown, ...lists: unknown[]): Buffer;
}

function loadDsdSip(): DsdSip | null {
  const m = tryRequire(path.join(REPO, 'dist', 'src', 'sip', 'message.js'));
  const e = tryRequire(path.join(REPO, 'dist', 'src', 'sip', 'editor.js'));
  if (!m || typeof m.parseMessage !== 'function' || !e || typeof e.applyEdits !== 'function') return null;
  return { parseMessage: m.parseMessage as DsdSip['parseMessage'], applyEdits: e.applyEdits as DsdSip['applyEdits'] };
}

interface SipPkg {
  parse(s: Buffer | string): { headers: Record<string, any> } | undefined;
  stringify(m: unknown): string;
}

/** The SIP parse micro-benchmarks: dsd's parser and, for comparison, the `sip` package. */
export function sipParseBench(minMs = 400): { results: MicroResult[]; skipped: string[]; bytes: number } {
  const buf = typicalInvite();
  const results: MicroResult[] = [];
  const skipped: string[] = [];
  const dsd = loadDsdSip();
  if (dsd) {
    const { parseMessage, applyEdits } = dsd;
    results.push(
      measure(
        'dsd parseMessage + header reads',
        () => {
          const m = parseMessage(buf, { datagram: true });
          const v = m.topVia;
          return (
            m.callId.length +
            (v?.branch?.length ?? 0) +
            (m.cseq?.seq ?? 0) +
            (m.from?.tag?.length ?? 0) +
            (m.to?.tag ? 1 : 0) +
            (m.maxForwards ?? 0)
          );
        },
        minMs,
      ),
    );
    results.push(
      measure(
        'dsd parseMessage + applyEdits (Via insert)',
        () => {
          const m = parseMessage(buf, { datagram: true });
          const at = m.first('via')!.lineStart;
          return applyEdits(m, [{ start: at, end: at, text: VIA }]).length;
        },
        minMs,
      ),
    );
  } else {
    skipped.push('dsd parser (dist/src/sip/message.js or editor.js missing)');
  }
  let sip: SipPkg | null = null;
  try {
    sip = require('sip') as SipPkg;
  } catch {
    skipped.push('sip package (not installed)');
  }
  if (sip) {
    const pkg = sip;
    results.push(
      measure(
        'sip package parse + header reads',
        () => {
          const m = pkg.parse(buf)!;
          const h = m.headers;
          return (
            h['call-id'].length +
            h.via[0].params.branch.length +
            h.cseq.seq +
            h.from.params.tag.length +
            (h.to.params.tag ? 1 : 0) +
            Number(h['max-forwards'])
          );
        },
        minMs,
      ),
    );
    results.push(
      measure(
        'sip package parse + Via unshift + stringify',
        () => {
          const m = pkg.parse(buf)!;
          m.headers.via.unshift({
            version: '2.0',
            protocol: 'UDP',
            host: '127.0.0.1',
            port: 5060,
            params: { branch: 'z9hG4bK-dsd0f3a9c21.k2x91.0' },
          });
          return Buffer.from(pkg.stringify(m), 'binary').length;
        },
        minMs,
      ),
    );
  }
  if (sink === -1) process.stdout.write('');
  return { results, skipped, bytes: buf.length };
}

/**
 * The script engine's micro-benchmark, when its module exists: the first exported
 * function (`benchScript`, `default`, `run`, or any) is called with `{ minMs }` and may
 * return (a promise of) a result with `name` and `usPerOp` or `nsPerOp` (and `ops` or
 * `iterations`), an array of them, or printable text.
 */
export async function scriptBench(minMs = 400): Promise<{ results: MicroResult[]; text: string } | null> {
  const file = path.join(REPO, 'dist', 'src', 'script', 'bench-script.js');
  const mod = tryRequire(file);
  if (!mod) return null;
  const fn = [mod.benchScript, mod.default, mod.run, ...Object.values(mod)].find((f) => typeof f === 'function') as
    ((o: { minMs: number }) => unknown) | undefined;
  if (!fn) return null;
  const out = await fn({ minMs });
  const results: MicroResult[] = [];
  let text = '';
  const take = (v: unknown) => {
    const r = v as Partial<MicroResult> & { nsPerOp?: number; iterations?: number };
    if (r && typeof r === 'object' && 'name' in r && ('usPerOp' in r || 'nsPerOp' in r)) {
      const us = r.usPerOp !== undefined ? Number(r.usPerOp) : Number(r.nsPerOp) / 1000;
      results.push({ name: String(r.name), usPerOp: us, ops: Number(r.ops ?? r.iterations ?? 0), note: r.note });
    } else if (v !== undefined && v !== null) {
      text += (typeof v === 'string' ? v : JSON.stringify(v)) + '\n';
    }
  };
  if (Array.isArray(out)) out.forEach(take);
  else take(out);
  return { results, text };
}

export function formatMicro(rs: readonly MicroResult[]): string {
  const w = Math.max(...rs.map((r) => r.name.length), 10);
  return rs
    .map(
      (r) =>
        `  ${r.name.padEnd(w)}  ${r.usPerOp.toFixed(2).padStart(8)} µs/op` +
        `  (${r.ops.toLocaleString('en-US')} ops${r.note ? `; ${r.note}` : ''})`,
    )
    .join('\n');
}
