/**
 * Kamailio's tls.cfg: `[server:default]`, `[client:default]`, `[server:IP:PORT]`,
 * `[client:IP:PORT]` profiles of `key = value` lines (`#` comments). Only parsing here;
 * tls-profiles.ts turns profiles into node:tls contexts.
 */
import { DsdError } from '../core/errors';
type TlsRole = 'server' | 'client';

export interface TlsProfile {
  readonly role: TlsRole;
  /** null for `default`; else the IP (no brackets) and port the profile applies to. */
  readonly ip: string | null;
  readonly port: number | null;
  /** `[server:default]` as written, for tls.list's "dom". */
  readonly label: string;
  method: string;
  certificate: string | null;
  privateKey: string | null;
  caList: string | null;
  verifyCertificate: boolean;
  requireCertificate: boolean;
  serverName: string | null;
  verifyDepth: number;
  cipherList: string | null;
  /** Where it was defined, for error messages. */
  readonly line: number;
}

/** Module-level defaults (modparam("tls", "certificate", …) etc.), as Kamailio's. */
export interface TlsDefaults {
  method: string;
  certificate: string | null;
  privateKey: string | null;
  caList: string | null;
  verifyCertificate: boolean;
  requireCertificate: boolean;
  verifyDepth: number;
  cipherList: string | null;
}

export const TLS_DEFAULTS: TlsDefaults = {
  method: 'TLSv1.2+',
  certificate: null,
  privateKey: null,
  caList: null,
  verifyCertificate: false,
  requireCertificate: false,
  verifyDepth: 9,
  cipherList: null,
};

export class TlsConfigError extends DsdError {
  constructor(message: string) {
    super('DSD_ERR_TLS_CONFIG', message);
  }
}

const METHODS = new Set([
  'SSLv23',
  'TLSv1',
  'TLSv1.1',
  'TLSv1.2',
  'TLSv1.3',
  'TLSv1+',
  'TLSv1.1+',
  'TLSv1.2+',
  'TLSv1.3+',
]);

/** node:tls minVersion/maxVersion for a Kamailio `method`. */
export function methodVersions(method: string): {
  minVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
} {
  if (method === 'SSLv23') return { minVersion: 'TLSv1' };
  const base = method.replace(/\+$/, '') as 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  return method.endsWith('+') ? { minVersion: base } : { minVersion: base, maxVersion: base };
}

function bool(v: string, where: string): boolean {
  const l = v.toLowerCase();
  if (['yes', 'on', 'true', '1', 'enable', 'enabled'].includes(l)) return true;
  if (['no', 'off', 'false', '0', 'disable', 'disabled'].includes(l)) return false;
  throw new TlsConfigError(`${where}: expected yes/no, got "${v}"`);
}

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t[t.length - 1] === t[0]) return t.slice(1, -1);
  return t;
}

/** `[server:default]` / `[client:10.0.0.1:5061]` / `[server:[::1]:5061]` */
function header(text: string, where: string): { role: TlsRole; ip: string | null; port: number | null } {
  const m = /^(server|client):(.+)$/i.exec(text.trim());
  const [, roleText, restText] = m ?? [];
  if (roleText === undefined || restText === undefined) {
    throw new TlsConfigError(`${where}: profile must be [server:…] or [client:…], got [${text}]`);
  }
  const role = roleText.toLowerCase() as TlsRole;
  const rest = restText.trim();
  if (rest.toLowerCase() === 'default') return { role, ip: null, port: null };
  const a = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):([0-9]{1,5})$/.exec(rest);
  const ip = a?.[1] ?? a?.[2];
  if (!a || ip === undefined) {
    throw new TlsConfigError(`${where}: profile address must be IP:PORT or default, got "${rest}"`);
  }
  return { role, ip, port: Number(a[3]) };
}

export function parseTlsConfig(text: string, file: string, d: TlsDefaults = TLS_DEFAULTS): TlsProfile[] {
  const out: TlsProfile[] = [];
  let cur: TlsProfile | null = null;
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const where = `${file}:${i + 1}`;
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) throw new TlsConfigError(`${where}: unterminated profile header`);
      const h = header(line.slice(1, -1), where);
      const label = line.slice(1, -1).trim();
      if (out.some((p) => p.role === h.role && p.ip === h.ip && p.port === h.port)) {
        throw new TlsConfigError(`${where}: duplicate profile [${label}]`);
      }
      cur = {
        ...h,
        label,
        method: d.method,
        certificate: d.certificate,
        privateKey: d.privateKey,
        caList: d.caList,
        verifyCertificate: d.verifyCertificate,
        requireCertificate: d.requireCertificate,
        serverName: null,
        verifyDepth: d.verifyDepth,
        cipherList: d.cipherList,
        line: i + 1,
      };
      out.push(cur);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new TlsConfigError(`${where}: expected key = value`);
    if (!cur) throw new TlsConfigError(`${where}: setting outside a [server:…]/[client:…] profile`);
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = unquote(line.slice(eq + 1));
    switch (key) {
      case 'method':
      case 'tls_method':
        if (!METHODS.has(value)) throw new TlsConfigError(`${where}: unknown method "${value}"`);
        cur.method = value;
        break;
      case 'certificate':
        cur.certificate = value || null;
        break;
      case 'private_key':
        cur.privateKey = value || null;
        break;
      case 'ca_list':
        cur.caList = value || null;
        break;
      case 'verify_certificate':
        cur.verifyCertificate = bool(value, where);
        break;
      case 'require_certificate':
        cur.requireCertificate = bool(value, where);
        break;
      case 'server_name':
        cur.serverName = value || null;
        break;
      case 'verify_depth': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0 || n > 100) throw new TlsConfigError(`${where}: verify_depth must be 0..100`);
        cur.verifyDepth = n;
        break;
      }
      case 'cipher_list':
        cur.cipherList = value || null;
        break;
      // accepted as Kamailio does, without effect here
      case 'crl':
      case 'server_name_mode':
      case 'server_id':
      case 'ca_path':
        break;
      default:
        throw new TlsConfigError(`${where}: unknown setting "${key}"`);
    }
  }
  return out;
}
