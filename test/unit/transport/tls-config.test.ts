/** Kamailio's tls.cfg format as dsd reads it: profiles, keys, defaults, errors with file:line. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTlsConfig, methodVersions, TLS_DEFAULTS, TlsConfigError } from '../../../src/transport/tls-config';
import { at } from '../../helpers/at';

const SAMPLE = `
# comment
[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = /etc/kamailio/kamailio-selfsigned.key
certificate = /etc/kamailio/kamailio-selfsigned.pem

[client:default]
verify_certificate = yes
require_certificate = yes   # trailing comment
ca_list = "/etc/ssl/ca.pem"

[server:10.0.0.10:5061]
method = TLSv1.3
certificate = /etc/a.pem
verify_depth = 3

[client:[2001:db8::1]:5061]
server_name = carrier.example.com
`;

describe('tls.cfg parser', () => {
  it('reads every profile with its keys, defaults filled in', () => {
    const ps = parseTlsConfig(SAMPLE, 'tls.cfg');
    assert.equal(ps.length, 4);
    assert.deepEqual(
      ps.map((p) => [p.role, p.ip, p.port]),
      [
        ['server', null, null],
        ['client', null, null],
        ['server', '10.0.0.10', 5061],
        ['client', '2001:db8::1', 5061],
      ],
    );
    assert.equal(at(ps, 0).certificate, '/etc/kamailio/kamailio-selfsigned.pem');
    assert.equal(at(ps, 1).verifyCertificate, true);
    assert.equal(at(ps, 1).requireCertificate, true);
    assert.equal(at(ps, 1).caList, '/etc/ssl/ca.pem');
    assert.equal(at(ps, 2).method, 'TLSv1.3');
    assert.equal(at(ps, 2).verifyDepth, 3);
    assert.equal(at(ps, 2).verifyCertificate, TLS_DEFAULTS.verifyCertificate);
    assert.equal(at(ps, 3).serverName, 'carrier.example.com');
  });

  it('maps Kamailio methods to TLS version ranges', () => {
    assert.deepEqual(methodVersions('TLSv1.2+'), { minVersion: 'TLSv1.2' });
    assert.deepEqual(methodVersions('TLSv1.2'), { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    assert.deepEqual(methodVersions('SSLv23'), { minVersion: 'TLSv1' });
  });

  for (const [name, text, re] of [
    ['unknown key', '[server:default]\nfoo = 1\n', /tls\.cfg:2: unknown setting "foo"/],
    ['bad boolean', '[client:default]\nverify_certificate = maybe\n', /tls\.cfg:2: expected yes\/no/],
    ['key outside a profile', 'method = TLSv1.2\n', /tls\.cfg:1: setting outside/],
    ['bad header', '[peer:default]\n', /tls\.cfg:1: profile must be/],
    ['bad address', '[server:host.example:5061]\n', /tls\.cfg:1: profile address must be IP:PORT/],
    ['duplicate profile', '[server:default]\n[server:default]\n', /tls\.cfg:2: duplicate profile/],
    ['unknown method', '[server:default]\nmethod = SSLv3\n', /unknown method "SSLv3"/],
  ] as const) {
    it(`refuses: ${name}`, () => {
      assert.throws(
        () => parseTlsConfig(text, 'tls.cfg'),
        (e: unknown) => e instanceof TlsConfigError && re.test(e.message),
      );
    });
  }
});
