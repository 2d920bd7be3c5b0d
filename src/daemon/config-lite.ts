/**
 * TEMPORARY: reads the handful of settings the daemon needs (listen, debug, modparams of
 * tm/ctl/dispatcher) line by line, until the cfg language engine (src/script) takes over.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ListenSpec } from '../transport/types';

export class ConfigError extends Error {
  constructor(readonly file: string, readonly line: number, readonly col: number, msg: string) {
    super(`${file}:${line}:${col}: ${msg}`);
    this.name = 'ConfigError';
  }
}

export interface LiteConfig {
  file: string;
  listen: ListenSpec[];
  debug: number;
  logStderr: boolean;
  aliases: string[];
  modparams: Map<string, Map<string, string | number>>;
}

export function parseListen(v: string): ListenSpec | null {
  const m = /^(?:(udp|tcp):)?(\[[0-9a-fA-F:.]+\]|[^:\s]+)(?::(\d+))?$/.exec(v.trim());
  if (!m) return null;
  const host = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2];
  return { proto: (m[1] ?? 'udp') as 'udp' | 'tcp', host, port: m[3] ? Number(m[3]) : 5060 };
}

export function readLiteConfig(file: string): LiteConfig {
  const text = fs.readFileSync(file, 'utf8');
  const cfg: LiteConfig = { file, listen: [], debug: 2, logStderr: false, aliases: [], modparams: new Map() };
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/^\s+/, '');
    if (line.startsWith('#') || line.startsWith('//') || line.length === 0) return;
    let m = /^listen\s*=\s*(\S+)/.exec(line);
    if (m) {
      const l = parseListen(m[1]);
      if (!l) throw new ConfigError(file, i + 1, raw.indexOf(m[1]) + 1, `bad listen address "${m[1]}"`);
      cfg.listen.push(l);
      return;
    }
    m = /^debug\s*=\s*(-?\d+)/.exec(line);
    if (m) { cfg.debug = Number(m[1]); return; }
    m = /^log_stderror\s*=\s*(yes|no|1|0)/.exec(line);
    if (m) { cfg.logStderr = m[1] === 'yes' || m[1] === '1'; return; }
    m = /^alias\s*=\s*"?([^"\s]+)"?/.exec(line);
    if (m) { cfg.aliases.push(m[1]); return; }
    m = /^modparam\s*\(\s*"([^"]+)"\s*,\s*"([^"]+)"\s*,\s*(?:"([^"]*)"|(-?\d+))\s*\)/.exec(line);
    if (m) {
      const mod = cfg.modparams.get(m[1]) ?? new Map();
      mod.set(m[2], m[3] !== undefined ? m[3] : Number(m[4]));
      cfg.modparams.set(m[1], mod);
    }
  });
  if (cfg.listen.length === 0) cfg.listen.push({ proto: 'udp', host: '127.0.0.1', port: 5060 });
  return cfg;
}

export function resolveRelative(cfgFile: string, p: string): string {
  return path.isAbsolute(p) ? p : path.resolve(path.dirname(cfgFile), p);
}
