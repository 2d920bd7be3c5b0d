/**
 * The tls module's modparams as Kamailio's tls.so takes them: `config` (the tls.cfg
 * profile file) and the defaults every profile starts from.
 */
import path from 'node:path';
import { TLS_DEFAULTS, TlsDefaults } from '../../transport/tls-config';
import type { TlsSettings } from '../../transport/tls-profiles';

export interface TlsModuleConfig {
  settings: TlsSettings;
  /** connection_timeout (s → ms): idle TLS connections are closed after it. */
  idleMs: number;
  /** tls_handshake_timeout (core, s → ms; default 10 s): a TLS handshake not done by then is dropped. */
  handshakeMs: number;
}

function yes(v: string | number): boolean {
  return typeof v === 'number' ? v !== 0 : ['1', 'yes', 'on', 'true'].includes(v.toLowerCase());
}

/** Reads modparam("tls", …) through `param`; relative paths are taken from the cfg's directory. */
export function readTlsParams(
  param: (name: string) => string | number | undefined,
  cfgDir: string,
  handshakeTimeout?: string | number,
): TlsModuleConfig {
  const str = (n: string): string | null => {
    const v = param(n);
    return v === undefined || v === '' ? null : String(v);
  };
  const file = (n: string): string | null => {
    const v = str(n);
    return v === null ? null : path.resolve(cfgDir, v);
  };
  const d: TlsDefaults = {
    ...TLS_DEFAULTS,
    method: str('tls_method') ?? TLS_DEFAULTS.method,
    certificate: file('certificate'),
    privateKey: file('private_key'),
    caList: file('ca_list'),
    verifyCertificate:
      param('verify_certificate') !== undefined ? yes(param('verify_certificate')!) : TLS_DEFAULTS.verifyCertificate,
    requireCertificate:
      param('require_certificate') !== undefined ? yes(param('require_certificate')!) : TLS_DEFAULTS.requireCertificate,
    verifyDepth: param('verify_depth') !== undefined ? Number(param('verify_depth')) : TLS_DEFAULTS.verifyDepth,
    cipherList: str('cipher_list'),
  };
  const timeout = Number(param('connection_timeout') ?? 600);
  return {
    settings: { file: file('config'), defaults: d },
    idleMs: (timeout > 0 ? timeout : 600) * 1000,
    handshakeMs: Number(handshakeTimeout) > 0 ? Number(handshakeTimeout) * 1000 : 10_000,
  };
}
