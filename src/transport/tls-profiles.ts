/**
 * The TLS profiles in force: read from the tls.cfg file (or only the module defaults),
 * each turned into node:tls options once, so a handshake only looks one up. A reload
 * builds the whole new set first and swaps it in only when every profile loaded, as
 * Kamailio's tls.reload does; connections already up keep their session.
 */
import fs from 'node:fs';
import path from 'node:path';
import type tls from 'node:tls';
import { parseTlsConfig, methodVersions, TlsConfigError, TlsDefaults, TlsProfile, TLS_DEFAULTS } from './tls-config';

export interface TlsSettings {
  /** tls.cfg path, or null for module defaults only. */
  file: string | null;
  defaults: TlsDefaults;
}

interface Built {
  profile: TlsProfile;
  options: tls.SecureContextOptions;
  context: tls.SecureContext;
}

function readPem(file: string | null, what: string, p: TlsProfile, base: string): Buffer | undefined {
  if (!file) return undefined;
  const f = path.resolve(base, file);
  try {
    return fs.readFileSync(f);
  } catch (e) {
    throw new TlsConfigError(`[${p.label}] ${what} ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function build(p: TlsProfile, base: string): Built {
  const options: tls.SecureContextOptions = {
    ...methodVersions(p.method),
    cert: readPem(p.certificate, 'certificate', p, base),
    key: readPem(p.privateKey, 'private_key', p, base),
    ca: readPem(p.caList, 'ca_list', p, base),
  };
  if (p.cipherList) options.ciphers = p.cipherList;
  if (p.role === 'server' && (!options.cert || !options.key)) {
    throw new TlsConfigError(`[${p.label}] a server profile needs certificate and private_key`);
  }
  let context: tls.SecureContext;
  try {
    // node:tls is loaded here, when a TLS socket is configured: a start without one never pays it
    context = (require('node:tls') as typeof tls).createSecureContext(options);
  } catch (e) {
    throw new TlsConfigError(`[${p.label}] ${(e as Error).message}`);
  }
  return { profile: p, options, context };
}

export class TlsProfiles {
  private built: Built[] = [];
  /** When the set in force was loaded (tls.info). */
  loadedAt = new Date();

  constructor(private readonly settings: TlsSettings) {}

  /** Loads (or reloads) every profile; throws TlsConfigError and keeps the old set on failure. */
  load(): void {
    const { file, defaults } = this.settings;
    let profiles: TlsProfile[];
    if (file) {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (e) {
        throw new TlsConfigError(`${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      profiles = parseTlsConfig(text, file, defaults);
    } else profiles = [];
    const base = file ? path.dirname(file) : process.cwd();
    const d = defaults ?? TLS_DEFAULTS;
    for (const role of ['server', 'client'] as const) {
      if (!profiles.some((p) => p.role === role && p.ip === null)) {
        profiles.push({
          role,
          ip: null,
          port: null,
          label: `${role}:default`,
          method: d.method,
          certificate: d.certificate,
          privateKey: d.privateKey,
          caList: d.caList,
          verifyCertificate: d.verifyCertificate,
          requireCertificate: d.requireCertificate,
          serverName: null,
          verifyDepth: d.verifyDepth,
          cipherList: d.cipherList,
          line: 0,
        });
      }
    }
    // a default server profile without a certificate is only an error when a server uses it
    const next = profiles.map((p) => {
      if (p.role === 'server' && p.ip === null && !p.certificate) return null;
      return build(p, base);
    });
    this.built = next.filter((b): b is Built => b !== null);
    this.pending = profiles.filter((_, i) => next[i] === null);
    this.loadedAt = new Date();
  }

  private pending: TlsProfile[] = [];

  private find(role: 'server' | 'client', ip: string, port: number): Built | null {
    let def: Built | null = null;
    for (const b of this.built) {
      if (b.profile.role !== role) continue;
      if (b.profile.ip === ip && b.profile.port === port) return b;
      if (b.profile.ip === null) def = b;
    }
    return def;
  }

  /** Server-side options for a listen socket; throws when no usable profile exists. */
  server(ip: string, port: number): { profile: TlsProfile; options: tls.TlsOptions } {
    const b = this.find('server', ip, port);
    if (!b) {
      const p = this.pending.find((x) => x.role === 'server');
      throw new TlsConfigError(
        `no server certificate for tls:${ip}:${port}${p ? ` ([${p.label}] has no certificate)` : ''}`,
      );
    }
    const p = b.profile;
    return {
      profile: p,
      options: {
        ...b.options,
        // OpenSSL's SSL_VERIFY_PEER (+ FAIL_IF_NO_PEER_CERT), as Kamailio sets them
        requestCert: p.verifyCertificate || p.requireCertificate,
        rejectUnauthorized: p.verifyCertificate && p.requireCertificate,
      },
    };
  }

  /** Client-side profile and context for a peer. */
  client(ip: string, port: number): { profile: TlsProfile; context: tls.SecureContext } {
    const b = this.find('client', ip, port);
    if (!b) throw new TlsConfigError('no client profile'); // load() always adds client:default
    return { profile: b.profile, context: b.context };
  }

  list(): TlsProfile[] {
    return this.built.map((b) => b.profile);
  }
}
