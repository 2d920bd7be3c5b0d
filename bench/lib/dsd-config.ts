/**
 * The bench runs dsd on a temp copy of etc/dsd.cfg: same route, same modules and timers,
 * only what must differ on a shared machine is rewritten — the listen ports, the
 * destination list (the bench's two sipp destinations) and the control socket path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './sipp';

const DSD_CFG = path.join(REPO, 'etc', 'dsd.cfg');
export const DSD_BIN = path.join(REPO, 'bin', 'dsd');
export const DSCTL_BIN = path.join(REPO, 'bin', 'dsctl');

export interface TmTimers {
  frTimer: number;
  frInvTimer: number;
}

function modparamNumber(cfg: string, mod: string, name: string): number | null {
  for (const line of cfg.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('modparam')) continue;
    const m = /^modparam\s*\(\s*"([^"]+)"\s*,\s*"([^"]+)"\s*,\s*"?(-?\d+)"?\s*\)/.exec(t);
    if (m && m[1] === mod && m[2] === name) return Number(m[3]);
  }
  return null;
}

/** fr_timer / fr_inv_timer of a cfg, with Kamailio's defaults when unset. */
export function tmTimers(cfgText: string): TmTimers {
  return {
    frTimer: modparamNumber(cfgText, 'tm', 'fr_timer') ?? 30000,
    frInvTimer: modparamNumber(cfgText, 'tm', 'fr_inv_timer') ?? 120000,
  };
}

/** dispatcher.list text: set 1 = the given loopback ports, as etc/dispatcher.list writes it. */
export function dispatcherList(ports: readonly number[]): string {
  return (
    '# bench destinations: setid destination flags priority\n' +
    ports.map((p) => `1 sip:127.0.0.1:${p} 0 0`).join('\n') +
    '\n'
  );
}

export interface AdaptedCfg {
  text: string;
  /** The control socket path written into the cfg ("unix:…"), or null. */
  ctl: string | null;
  /** True when the ctl modparam had to be added (the source cfg has none). */
  ctlAdded: boolean;
}

/**
 * etc/dsd.cfg with its listen lines moved to 127.0.0.1:port (IPv6 listens dropped: the
 * bench load is IPv4), list_file pointing at `listFile` and the ctl socket at `ctl`.
 */
export function adaptDsdCfg(source: string, port: number, listFile: string, ctl: string, addCtl: boolean): AdaptedCfg {
  const out: string[] = [];
  let sawCtl = false;
  for (const line of source.split('\n')) {
    const t = line.trim();
    const listen = /^listen\s*=\s*(?:(udp|tcp|tls|sctp|ws|wss):)?(\S+)/.exec(t);
    if (listen) {
      const [, proto = 'udp', addr = ''] = listen;
      if (addr.startsWith('[')) continue;
      if (proto !== 'udp' && proto !== 'tcp') continue;
      out.push(`listen=${proto}:127.0.0.1:${port}`);
      continue;
    }
    if (/^modparam\s*\(\s*"dispatcher"\s*,\s*"list_file"/.test(t)) {
      out.push(`modparam("dispatcher", "list_file", "${listFile}")`);
      continue;
    }
    if (/^modparam\s*\(\s*"ctl"\s*,\s*"binrpc"/.test(t)) {
      sawCtl = true;
      out.push(`modparam("ctl", "binrpc", "${ctl}")`);
      continue;
    }
    out.push(line);
  }
  if (!out.some((l) => l.startsWith('listen='))) {
    // after the "#!KAMAILIO" marker line
    out.splice(out[0]?.startsWith('#!') ? 1 : 0, 0, `listen=udp:127.0.0.1:${port}`, `listen=tcp:127.0.0.1:${port}`);
  }
  let ctlAdded = false;
  if (!sawCtl && addCtl) {
    // after the last loadmodule, where Kamailio users put modparams
    let at = -1;
    out.forEach((l, i) => {
      if (l.trim().startsWith('loadmodule')) at = i;
    });
    const add = [`modparam("ctl", "binrpc", "${ctl}")`];
    if (!out.some((l) => /^loadmodule\s+"ctl(\.so)?"/.test(l.trim()))) add.unshift('loadmodule "ctl"');
    out.splice(at + 1, 0, ...add);
    ctlAdded = true;
  }
  return { text: out.join('\n'), ctl: sawCtl || ctlAdded ? ctl : null, ctlAdded };
}

export function readDsdCfg(): string {
  return fs.readFileSync(DSD_CFG, 'utf8');
}
