/**
 * The same cfg run by dsd and by Kamailio 5.6 side by side, each with its own UA peer
 * and recording backends on loopback, so a test can send the same requests to both and
 * compare what the backends and the UA saw. The cfg template's `{PX}` is the proxy's
 * port, `{B0}`, `{B1}`… the backends' ports, `{DIR}` the proxy's temp dir.
 */
import { startDsd, Dsd } from './daemon';
import { startKamailio, Kamailio } from './kamailio';
import { freePorts } from './ports';
import { at } from './at';
import { UdpPeer, Answerer, Received, callIdOf, statusOf, sleep } from './sip-peer';

export type Impl = 'dsd' | 'kamailio';

export interface Side {
  readonly impl: Impl;
  readonly px: number;
  readonly ua: UdpPeer;
  readonly backends: UdpPeer[];
  /** The daemon's log so far. */
  output(): string;
  waitLog(text: string | RegExp, ms?: number): Promise<void>;
}

export interface Pair {
  readonly dsd: Side;
  readonly kamailio: Side;
  readonly sides: readonly Side[];
  stop(): Promise<void>;
}

export interface PairOptions {
  /** The cfg template, or one per implementation. */
  cfg: string | ((impl: Impl) => string);
  backends: number;
  /** Per side and backend index: how the backend answers (default: nothing). */
  answer?: (side: Impl, b: number, peer: UdpPeer) => Answerer | null;
  files?: Record<string, string>;
}

function fill(text: string, px: number, bports: number[]): string {
  let out = text.replaceAll('{PX}', String(px));
  bports.forEach((p, i) => {
    out = out.replaceAll(`{B${i}}`, String(p));
  });
  return out;
}

async function startSide(impl: Impl, o: PairOptions): Promise<{ side: Side; stop(): Promise<void> }> {
  const ports = await freePorts(1 + o.backends);
  const px = at(ports, 0);
  const bports = ports.slice(1);
  const backends: UdpPeer[] = [];
  const ua = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
  let proc: Dsd | Kamailio | null = null;
  const stop = async (): Promise<void> => {
    await ua.close();
    for (const b of backends) await b.close();
    if (proc) await proc.stop();
  };
  try {
    for (let b = 0; b < o.backends; b++) {
      const peer = await UdpPeer.open({ host: '127.0.0.1', port: at(bports, b) });
      peer.answerer = o.answer?.(impl, b, peer) ?? null;
      backends.push(peer);
    }
    const cfg = fill(typeof o.cfg === 'string' ? o.cfg : o.cfg(impl), px, bports);
    const files: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.files ?? {})) files[k] = fill(v, px, bports);
    proc =
      impl === 'dsd'
        ? await startDsd({ cfg, files })
        : await startKamailio({ cfg, files, readyLog: /main\(\): processes \(at least\)/ });
    // Kamailio logs that line just before it forks its workers
    if (impl === 'kamailio') await sleep(300);
    const p = proc;
    const side: Side = {
      impl,
      px,
      ua,
      backends,
      output: () => p.output(),
      waitLog: (t, ms) => p.waitFor(t, ms),
    };
    return { side, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

export async function startPair(o: PairOptions): Promise<Pair> {
  const d = await startSide('dsd', o);
  let k: Awaited<ReturnType<typeof startSide>>;
  try {
    k = await startSide('kamailio', o);
  } catch (e) {
    await d.stop();
    throw e;
  }
  return {
    dsd: d.side,
    kamailio: k.side,
    sides: [d.side, k.side],
    async stop() {
      await Promise.allSettled([d.stop(), k.stop()]);
    },
  };
}

let seq = 0;

export interface SentRequest {
  callId: string;
  /** Index in ua.received when it was sent, for waitFor(..., from). */
  mark: number;
}

/**
 * Sends a request from the side's UA to its proxy. `build` gets the Call-ID, the
 * proxy port and the UA port and returns the request text (CRLF line ends).
 */
export async function sendFromUa(
  side: Side,
  build: (callId: string, px: number, uaPort: number) => string,
): Promise<SentRequest> {
  const callId = `compat-${++seq}-${process.pid}@test`;
  const mark = side.ua.received.length;
  await side.ua.send(build(callId, side.px, side.ua.port), side.px);
  return { callId, mark };
}

/** The UA's final reply to a request sent with sendFromUa. */
export function finalReply(side: Side, r: SentRequest, ms = 30_000): Promise<Received> {
  return side.ua.waitFor((m) => callIdOf(m.text) === r.callId && statusOf(m.text) >= 200, ms, r.mark);
}

/** A request with the usual headers; `extra` lines go before Content-Length. */
export function request(
  method: string,
  ruri: string,
  callId: string,
  uaPort: number,
  extra: string[] = [],
  opts: { maxForwards?: number | null; cseq?: number; from?: string; to?: string } = {},
): string {
  const mf = opts.maxForwards === undefined ? 70 : opts.maxForwards;
  return (
    `${method} ${ruri} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:${uaPort};branch=z9hG4bK${callId.replace(/[^A-Za-z0-9]/g, '')};rport\r\n` +
    `From: ${opts.from ?? '"Alice" <sip:alice@a.example>'};tag=fromtag1\r\n` +
    `To: ${opts.to ?? `<${ruri}>`}\r\n` +
    `Call-ID: ${callId}\r\nCSeq: ${opts.cseq ?? 1} ${method}\r\n` +
    (mf === null ? '' : `Max-Forwards: ${mf}\r\n`) +
    extra.map((l) => `${l}\r\n`).join('') +
    'Content-Length: 0\r\n\r\n'
  );
}

export { sleep };
