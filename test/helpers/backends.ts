/**
 * Recording UDP backends for the load-balancing tests (drain, ejection, slow start,
 * explain): each answers OPTIONS and BYE with 200 and INVITE/MESSAGE with its `mode`
 * (200 with Contact and the Record-Route echoed, a fixed error code, or silence), and
 * logs every request it gets, so tests count what reached which backend.
 */
import assert from 'node:assert/strict';
import { UdpPeer, Received, makeResponse, methodOf, statusOf, callIdOf, headerValues } from './sip-peer';
import { DSCTL_BIN } from './daemon';
import { runTool, type CtlResult } from './ctl';
import { at } from './at';

export type { CtlResult };

export type BackendMode = 'ok' | 'silent' | number;

export class Backends {
  readonly modes: BackendMode[];
  readonly log: Array<{ b: number; m: Received; method: string; callId: string }> = [];

  private constructor(readonly peers: UdpPeer[]) {
    this.modes = peers.map(() => 'ok');
    peers.forEach((p, b) => {
      p.onMessage((m) => {
        if (statusOf(m.text) === 0) this.log.push({ b, m, method: methodOf(m.text), callId: callIdOf(m.text) ?? '' });
      });
      p.answerer = (req) => this.answer(b, req);
    });
  }

  static async open(ports: number[]): Promise<Backends> {
    return new Backends(await Promise.all(ports.map((port) => UdpPeer.open({ host: '127.0.0.1', port }))));
  }

  uri(b: number): string {
    return `sip:127.0.0.1:${at(this.peers, b, 'backend').port}`;
  }

  private answer(b: number, req: Received): Buffer | null {
    const method = methodOf(req.text);
    if (method === 'ACK') return null;
    const mode = this.modes[b];
    if (method === 'OPTIONS' || method === 'BYE') return makeResponse(req.text, 200, 'OK');
    if (mode === 'silent') return null;
    if (typeof mode === 'number') return makeResponse(req.text, mode, 'Failed');
    const extra = headerValues(req.text, 'record-route').map((v) => `Record-Route: ${v}`);
    if (method === 'INVITE') extra.push(`Contact: <sip:b${b}@127.0.0.1:${at(this.peers, b, 'backend').port}>`);
    return makeResponse(req.text, 200, 'OK', extra);
  }

  count(b: number, method: string, from = 0): number {
    let n = 0;
    for (const e of this.log.slice(from)) if (e.b === b && e.method === method) n++;
    return n;
  }

  /** Call-IDs of `method` requests backend `b` got. */
  callIds(b: number, method: string, from = 0): Set<string> {
    const s = new Set<string>();
    for (const e of this.log.slice(from)) if (e.b === b && e.method === method) s.add(e.callId);
    return s;
  }

  close(): Promise<void[]> {
    return Promise.all(this.peers.map((p) => p.close()));
  }
}

/** The real dsctl on a test daemon's socket. */
export function dsctl(dir: string, ...args: string[]): CtlResult {
  return runTool(process.execPath, [DSCTL_BIN, '-s', `unix:${dir}/dsd_ctl`, ...args], 120_000);
}

export function dsctlOk(dir: string, ...args: string[]): string {
  const r = dsctl(dir, ...args);
  assert.equal(r.code, 0, `dsctl ${args.join(' ')}: ${r.err}${r.out}`);
  return r.out;
}

export function dsctlJson<T>(dir: string, ...args: string[]): T {
  return JSON.parse(dsctlOk(dir, '--json', ...args)) as T;
}

/** Polls `f` until it returns a truthy value (bounded); generous deadlines, no timing asserted. */
export async function until<T>(what: string, f: () => T | Promise<T>, ms = 30_000, every = 50): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
