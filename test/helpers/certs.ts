/**
 * Certificates made by `openssl` for one test: a CA, a server certificate for
 * 127.0.0.1 (IP SAN), a client certificate, an expired server certificate (notAfter =
 * now), and a second CA with a server certificate the first CA does not vouch for.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface TestCerts {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  expiredCert: string;
  expiredKey: string;
  otherCa: string;
  wrongCaCert: string;
  wrongCaKey: string;
}

function ossl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function issue(dir: string, name: string, cn: string, ca: string, days: number, client: boolean): void {
  const ext = path.join(dir, `${name}.ext`);
  fs.writeFileSync(
    ext,
    client
      ? 'extendedKeyUsage=clientAuth\nsubjectAltName=IP:127.0.0.1\n'
      : 'extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  ossl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`],
    dir,
  );
  ossl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      String(days),
      '-extfile',
      ext,
    ],
    dir,
  );
}

export function makeCerts(dir: string): TestCerts {
  fs.mkdirSync(dir, { recursive: true });
  for (const ca of ['ca', 'otherca']) {
    ossl(
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${ca}.key`,
        '-out',
        `${ca}.pem`,
        '-days',
        '2',
        '-subj',
        `/CN=dsd test ${ca}`,
      ],
      dir,
    );
  }
  issue(dir, 'server', '127.0.0.1', 'ca', 2, false);
  issue(dir, 'client', 'dsd-test-client', 'ca', 2, true);
  issue(dir, 'expired', '127.0.0.1', 'ca', 0, false); // notAfter = now: expired a second later
  issue(dir, 'wrongca', '127.0.0.1', 'otherca', 2, false);
  const p = (f: string) => path.join(dir, f);
  return {
    dir,
    ca: p('ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    expiredCert: p('expired.pem'),
    expiredKey: p('expired.key'),
    otherCa: p('otherca.pem'),
    wrongCaCert: p('wrongca.pem'),
    wrongCaKey: p('wrongca.key'),
  };
}

/** A tls.cfg with one [server:default] profile on the test server certificate, no client verification. */
export function tlsServerCfg(c: Pick<TestCerts, 'serverCert' | 'serverKey'>): string {
  return (
    `[server:default]\nmethod = TLSv1.2+\ncertificate = ${c.serverCert}\nprivate_key = ${c.serverKey}\n` +
    'verify_certificate = no\nrequire_certificate = no\n'
  );
}
