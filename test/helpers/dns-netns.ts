/**
 * A DNS server for RFC 3263 tests: dnsmasq on 127.0.0.1:53 inside a network namespace
 * made here (`ip netns add`), with /etc/netns/NAME/resolv.conf pointing at it, so
 * processes started under `wrap` (dsd, sipp, kamailio) resolve through it and nothing
 * leaves the namespace. A/AAAA come from a hosts file the test rewrites (reload() makes
 * dnsmasq read it again); SRV/NAPTR from dnsmasq arguments. Needs root: dnsNetnsSkip says
 * why not (never in CI, where a missing piece fails the run).
 */
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tmpDir } from './daemon';
import { unlessCi } from './require';
import { waitUntil } from './wait';

const have = (c: string): boolean => spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status === 0;

export const dnsNetnsSkip: false | string = unlessCi(
  process.getuid?.() !== 0
    ? 'needs root for ip netns'
    : !have('dnsmasq') || !have('ip')
      ? 'dnsmasq or iproute2 missing'
      : null,
);

export interface DnsNetns {
  readonly ns: string;
  /** Prefix for commands that must run in the namespace. */
  readonly wrap: string[];
  readonly dir: string;
  /** Replaces the hosts file ("IP NAME" lines) and has dnsmasq read it again. */
  setHosts(text: string): void;
  /** Runs a command in the namespace and returns its stdout (throws on failure). */
  run(cmd: string[]): string;
  /**
   * From `src` (a 127.0.0.x address) in the namespace, an OPTIONS to 127.0.0.1:`port`: the
   * reply's status code, or 0 when none came within 5 s. A cfg that answers by
   * ds_is_from_list() tells which address a destination's name resolves to now.
   */
  options(src: string, port: number): number;
  stop(): Promise<void>;
}

function run(cmd: string[], check = true): string {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
  if (check && r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

let seq = 0;

const PROBE = `
const dgram = require('node:dgram');
const [src, port] = process.argv.slice(1);
const s = dgram.createSocket('udp4');
const t = setTimeout(() => { console.log(0); process.exit(0); }, 5000);
s.on('message', (m) => { clearTimeout(t); console.log(m.toString().split(' ')[1]); s.close(); });
s.bind(0, src, () => {
  const id = 'ns' + Date.now() + Math.random();
  s.send('OPTIONS sip:probe@127.0.0.1:' + port + ' SIP/2.0\\r\\nVia: SIP/2.0/UDP ' + src + ':' + s.address().port +
    ';branch=z9hG4bK' + id + '\\r\\nFrom: <sip:p@' + src + '>;tag=1\\r\\nTo: <sip:probe@127.0.0.1>\\r\\nCall-ID: ' + id +
    '\\r\\nCSeq: 1 OPTIONS\\r\\nMax-Forwards: 70\\r\\nContent-Length: 0\\r\\n\\r\\n', Number(port), '127.0.0.1');
});
`;

/**
 * `hosts`: the first hosts file; `localTtl`: the TTL dnsmasq gives its A records (s);
 * `records`: more dnsmasq options (--srv-host=…, --naptr-record=…).
 */
export async function startDnsNetns(o: { hosts: string; localTtl: number; records?: string[] }): Promise<DnsNetns> {
  const ns = `dsdtest${process.pid}n${++seq}`;
  const wrap = ['ip', 'netns', 'exec', ns];
  const dir = tmpDir('dsd-dns-');
  const hostsFile = path.join(dir, 'hosts');
  let dnsmasq: ChildProcess | null = null;
  let nsMade = false;
  const stop = async (): Promise<void> => {
    if (dnsmasq && dnsmasq.exitCode === null) {
      const gone = new Promise((r) => dnsmasq!.once('exit', r));
      dnsmasq.kill('SIGTERM');
      await gone;
    }
    if (nsMade) run(['ip', 'netns', 'del', ns], false);
    fs.rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    run(['ip', 'netns', 'add', ns]);
    nsMade = true;
    run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    fs.mkdirSync(`/etc/netns/${ns}`, { recursive: true });
    fs.writeFileSync(`/etc/netns/${ns}/resolv.conf`, 'nameserver 127.0.0.1\noptions timeout:1 attempts:2\n');
    fs.writeFileSync(hostsFile, o.hosts);
    const proc = spawn(
      wrap[0]!,
      [
        ...wrap.slice(1),
        'dnsmasq',
        '--keep-in-foreground',
        '--no-resolv',
        '--no-hosts',
        '--no-daemon',
        '--listen-address=127.0.0.1',
        '--bind-interfaces',
        '--port=53',
        `--addn-hosts=${hostsFile}`,
        `--local-ttl=${o.localTtl}`,
        '--log-facility=-',
        '--user=root',
        ...(o.records ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    dnsmasq = proc;
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    await waitUntil(
      () => {
        if (proc.exitCode !== null) throw new Error(`dnsmasq exited: ${out}`);
        return /started|compile time options/.test(out);
      },
      { what: 'dnsmasq to start', timeoutMs: 15_000 },
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    ns,
    wrap,
    dir,
    setHosts(text) {
      fs.writeFileSync(hostsFile, text);
      dnsmasq!.kill('SIGHUP'); // dnsmasq re-reads the hosts file (and clears its cache)
    },
    run: (cmd) => run([...wrap, ...cmd]),
    options: (src, port) => Number(run([...wrap, process.execPath, '-e', PROBE, src, String(port)]).trim()),
    stop,
  };
}

/**
 * The kamailio.cfg both DNS tests run on dsd and on Kamailio: the dispatcher re-resolving
 * its list every second (ds_dns_mode 4) with `dsDnsTtl`, and a route answering 200 when
 * the sender is one of set 1's resolved addresses, 403 when not. `core` adds core lines.
 */
export function dnsDispatcherCfg(port: number, o: { core?: string; dsDnsTtl?: number } = {}): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=1
disable_tcp=yes
auto_aliases=no
${o.core ?? ''}
listen=udp:127.0.0.1:${port}
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "dispatcher.so"
loadmodule "ctl.so"
modparam("ctl", "binrpc", "unix:{DIR}/ctl")
modparam("dispatcher", "list_file", "{DIR}/dispatcher.list")
modparam("dispatcher", "ds_dns_mode", 4)
modparam("dispatcher", "ds_dns_interval", 1)
modparam("dispatcher", "ds_dns_ttl", ${o.dsDnsTtl ?? 0})
request_route {
  if (ds_is_from_list("1", "3")) {
    sl_send_reply("200", "From List");
    exit;
  }
  sl_send_reply("403", "Not From List");
}
`;
}
