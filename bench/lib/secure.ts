/**
 * TLS and WSS rows of `npm run bench`: dsd with UDP, TLS and WebSocket (over TLS) listen
 * sockets in front of two sipp destinations; one closed-loop call generator (this
 * process: INVITE, 200, ACK, BYE, 200 along the Record-Route) drives it over UDP, TLS and
 * WSS in turn with the same number of calls in flight, so calls per second and dsd's CPU
 * per call compare transport against transport. sipp has no TLS here, hence our own
 * generator. Then handshakes per second: TLS connects and WSS upgrades, closed loop.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import WebSocket from 'ws';
import { freePorts } from './ports';
import { startUas, Uas, tempDir, removeDir, REPO } from './sipp';
import { DSD_BIN } from './dsd-config';
import { clockTicks, cpuTicksByPid, ticksBetween } from './procfs';
import { makeCerts, tlsServerCfg } from '../../test/helpers/certs';

interface SecureRow {
  proto: 'udp' | 'tls' | 'wss';
  calls: number;
  seconds: number;
  cps: number;
  cpuMsPerCall: number;
  failed: number;
}
export interface SecureResult {
  rows: SecureRow[];
  handshakes: { tls: number; wss: number };
  inFlight: number;
}

function cfg(p: { udp: number; tls: number }, dir: string): string {
  return `#!KAMAILIO
debug=${process.env.BENCH_DEBUG ? 3 : 1}
log_stderror=yes
enable_tls=yes
auto_aliases=no
tcp_accept_no_cl=yes
listen=udp:127.0.0.1:${p.udp}
listen=tcp:127.0.0.1:${p.udp}
listen=tls:127.0.0.1:${p.tls}
loadmodule "tls.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xhttp.so"
loadmodule "websocket.so"
loadmodule "ctl.so"
loadmodule "dispatcher.so"
modparam("ctl", "binrpc", "unix:${dir}/ctl")
modparam("tls", "config", "${dir}/tls.cfg")
modparam("dispatcher", "list_file", "${dir}/dispatcher.list")
event_route[xhttp:request] {
  if ($hdr(Upgrade) =~ "websocket") { ws_handle_handshake(); exit; }
  xhttp_reply("404", "Not Found", "", "");
}
request_route {
  if (has_totag()) {
    if (loose_route()) { t_relay(); exit; }
    if (is_method("ACK")) { t_relay(); exit; }
    sl_send_reply("404", "Not here"); exit;
  }
  if (is_method("INVITE")) record_route();
  if (!ds_select_dst("1", "4")) { sl_send_reply("404", "No destination"); exit; }
  t_relay();
}
`;
}

/** One SIP message per call-id waiter; streams are framed by Content-Length. */
interface Link {
  send(text: string): void;
  onMessage: (m: string) => void;
  via: string;
  close(): void;
}

function framer(deliver: (m: string) => void): (chunk: Buffer) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk.toString('latin1');
    for (;;) {
      const he = buf.indexOf('\r\n\r\n');
      if (he < 0) return;
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(buf.slice(0, he + 2));
      const total = he + 4 + (cl ? Number(cl[1]) : 0);
      if (buf.length < total) return;
      deliver(buf.slice(0, total));
      buf = buf.slice(total);
    }
  };
}

async function link(proto: SecureRow['proto'], p: { udp: number; tls: number }): Promise<Link> {
  const l: Link = { send: () => undefined, onMessage: () => undefined, via: '', close: () => undefined };
  if (proto === 'udp') {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    s.on('message', (m) => l.onMessage(m.toString('latin1')));
    l.send = (t) => s.send(Buffer.from(t, 'latin1'), p.udp, '127.0.0.1');
    l.via = `SIP/2.0/UDP 127.0.0.1:${s.address().port}`;
    l.close = () => s.close();
  } else if (proto === 'tls') {
    const s = tls.connect({ host: '127.0.0.1', port: p.tls, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      s.once('secureConnect', () => resolve());
      s.once('error', reject);
    });
    s.setNoDelay(true);
    s.on(
      'data',
      framer((m) => l.onMessage(m)),
    );
    l.send = (t) => s.write(t, 'latin1');
    l.via = `SIP/2.0/TLS 127.0.0.1:${s.localPort}`;
    l.close = () => s.destroy();
  } else {
    const ws = new WebSocket(`wss://127.0.0.1:${p.tls}/`, 'sip', { rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('message', (d) => l.onMessage(d.toString()));
    l.send = (t) => ws.send(t);
    l.via = 'SIP/2.0/WSS bench.invalid';
    l.close = () => ws.terminate();
  }
  return l;
}

const hdr = (m: string, name: string): string[] =>
  [...m.matchAll(new RegExp(`^${name}:\\s*(.*)$`, 'gim'))].map((x) => x[1]!.trim());

/** Closed loop: `inFlight` calls at a time for `seconds`; returns completed and failed calls. */
async function callLoop(
  l: Link,
  tag: string,
  target: string,
  seconds: number,
  inFlight: number,
): Promise<{ done: number; failed: number }> {
  const waiting = new Map<string, (m: string) => void>();
  l.onMessage = (m) => {
    const cid = hdr(m, '(?:call-id|i)')[0];
    const cseq = hdr(m, 'cseq')[0] ?? '';
    const w = cid ? waiting.get(`${cid}|${cseq.split(' ')[1]}`) : undefined;
    if (w && /^SIP\/2\.0 [2-6]/.test(m)) w(m);
  };
  const final = (cid: string, method: string): Promise<string> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        waiting.delete(`${cid}|${method}`);
        resolve('');
      }, 10_000);
      waiting.set(`${cid}|${method}`, (m) => {
        clearTimeout(t);
        waiting.delete(`${cid}|${method}`);
        resolve(m);
      });
    });
  const until = Date.now() + seconds * 1000;
  let n = 0;
  let done = 0;
  let failed = 0;
  const one = async (): Promise<void> => {
    const cid = `bench-${tag}-${process.pid}-${n++}`;
    const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n';
    const base = `From: <sip:gen@dsd.bench>;tag=f${n}\r\nCall-ID: ${cid}\r\nMax-Forwards: 70\r\n`;
    const ok = final(cid, 'INVITE');
    l.send(
      `INVITE ${target} SIP/2.0\r\nVia: ${l.via};branch=z9hG4bK${cid}i;rport\r\n${base}To: <${target}>\r\nCSeq: 1 INVITE\r\n` +
        `Contact: <sip:gen@127.0.0.1>\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`,
    );
    const r = await ok;
    if (!r.startsWith('SIP/2.0 200')) {
      failed++;
      if (process.env.BENCH_DEBUG) process.stderr.write(`INVITE: ${r || 'no reply'}\n`);
      return;
    }
    const to = hdr(r, '(?:to|t)')[0]!;
    const contact = /<([^>]+)>/.exec(hdr(r, '(?:contact|m)')[0] ?? '')?.[1] ?? target;
    const routes = hdr(r, 'record-route')
      .join(', ')
      .split(/,\s*(?=<)/)
      .reverse();
    const route = routes.length && routes[0] ? `Route: ${routes.join(', ')}\r\n` : '';
    l.send(
      `ACK ${contact} SIP/2.0\r\nVia: ${l.via};branch=z9hG4bK${cid}a;rport\r\n${base}To: ${to}\r\nCSeq: 1 ACK\r\n${route}Content-Length: 0\r\n\r\n`,
    );
    const bye = final(cid, 'BYE');
    l.send(
      `BYE ${contact} SIP/2.0\r\nVia: ${l.via};branch=z9hG4bK${cid}b;rport\r\n${base}To: ${to}\r\nCSeq: 2 BYE\r\n${route}Content-Length: 0\r\n\r\n`,
    );
    if ((await bye).startsWith('SIP/2.0 200')) done++;
    else failed++;
  };
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < until) await one();
    }),
  );
  return { done, failed };
}

async function handshakes(proto: 'tls' | 'wss', port: number, seconds: number, par: number): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let n = 0;
  const once = (): Promise<void> =>
    new Promise((resolve) => {
      if (proto === 'tls') {
        const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
        s.once('secureConnect', () => {
          n++;
          s.destroy();
          resolve();
        });
        s.once('error', () => resolve());
      } else {
        const ws = new WebSocket(`wss://127.0.0.1:${port}/`, 'sip', { rejectUnauthorized: false });
        ws.once('open', () => {
          n++;
          ws.terminate();
          resolve();
        });
        ws.once('error', () => resolve());
      }
    });
  await Promise.all(
    Array.from({ length: par }, async () => {
      while (Date.now() < until) await once();
    }),
  );
  return n / seconds;
}

export async function secureBench(seconds: number, inFlight: number, log: (s: string) => void): Promise<SecureResult> {
  const dir = tempDir('dsd-bench-secure-');
  const [udp, tlsPort, b1, b2, c1, c2] = await freePorts(6);
  const p = { udp: udp!, tls: tlsPort! };
  fs.writeFileSync(path.join(dir, 'tls.cfg'), tlsServerCfg(makeCerts(path.join(dir, 'certs'))));
  fs.writeFileSync(path.join(dir, 'dispatcher.list'), `1 sip:127.0.0.1:${b1} 0 0\n1 sip:127.0.0.1:${b2} 0 0\n`);
  fs.writeFileSync(path.join(dir, 'dsd.cfg'), cfg(p, dir));
  const uas: Uas[] = [await startUas(b1!, c1!), await startUas(b2!, c2!)];
  const dsd = spawn(process.execPath, [DSD_BIN, '-DD', '-E', '-f', path.join(dir, 'dsd.cfg')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: REPO,
  });
  let out = '';
  dsd.stdout!.on('data', (d) => {
    out += d;
  });
  dsd.stderr!.on('data', (d) => {
    out += d;
  });
  try {
    const deadline = Date.now() + 20_000;
    while (!out.includes('started, listening on') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!out.includes('started, listening on')) throw new Error(`dsd did not start:\n${out}`);
    const rows: SecureRow[] = [];
    for (const proto of (process.env.BENCH_PROTOS ?? 'udp,tls,wss').split(',') as Array<SecureRow['proto']>) {
      const l = await link(proto, p);
      const before = cpuTicksByPid([dsd.pid!]);
      const t0 = Date.now();
      const r = await callLoop(l, proto, `sip:bench@127.0.0.1:${p.udp}`, seconds, inFlight);
      const secs = (Date.now() - t0) / 1000;
      await new Promise((res) => setTimeout(res, 300));
      const t = ticksBetween(before, cpuTicksByPid([dsd.pid!]));
      l.close();
      const cpuMs = ((t.user + t.sys) * 1000) / clockTicks();
      rows.push({
        proto,
        calls: r.done,
        seconds: secs,
        cps: r.done / secs,
        cpuMsPerCall: r.done ? cpuMs / r.done : 0,
        failed: r.failed,
      });
      log(
        `  ${proto.padEnd(4)} ${(r.done / secs).toFixed(0).padStart(6)} calls/s  ${(r.done ? cpuMs / r.done : 0).toFixed(3).padStart(7)} ms CPU/call  ${r.failed} failed`,
      );
    }
    const hs = {
      tls: await handshakes('tls', p.tls, Math.max(2, seconds / 2), 4),
      wss: await handshakes('wss', p.tls, Math.max(2, seconds / 2), 4),
    };
    log(`  handshakes: TLS ${hs.tls.toFixed(0)}/s, WSS (TLS + upgrade) ${hs.wss.toFixed(0)}/s`);
    if (process.env.BENCH_DEBUG) process.stderr.write(out.slice(-3000));
    return { rows, handshakes: hs, inFlight };
  } finally {
    dsd.kill('SIGKILL');
    for (const u of uas) await u.stop();
    removeDir(dir);
  }
}
