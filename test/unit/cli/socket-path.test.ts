import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultControlSocketPath,
  parseCtlAddress,
  UnsupportedCtlAddressError,
} from '../../../src/rpc-api/socket-path';

test("parseCtlAddress reads Kamailio's unix:/path and plain paths, refuses tcp/udp", () => {
  assert.equal(parseCtlAddress('unix:/run/dsd/dsd_ctl'), '/run/dsd/dsd_ctl');
  assert.equal(parseCtlAddress('unix:rel/ctl'), 'rel/ctl');
  assert.equal(parseCtlAddress('/tmp/x'), '/tmp/x');
  assert.equal(parseCtlAddress('./a:b'), './a:b');
  assert.throws(() => parseCtlAddress('tcp:127.0.0.1:2049'), UnsupportedCtlAddressError);
  assert.throws(() => parseCtlAddress('unix:'), UnsupportedCtlAddressError);
});

test('default socket path: DSD_CTL, /run/dsd, XDG_RUNTIME_DIR, tmpdir', () => {
  const no = () => false;
  assert.equal(defaultControlSocketPath({ env: { DSD_CTL: 'unix:/a/b' }, uid: 0 }), '/a/b');
  assert.equal(defaultControlSocketPath({ env: {}, uid: 0, runDirExists: no }), '/run/dsd/dsd_ctl');
  assert.equal(
    defaultControlSocketPath({ env: { XDG_RUNTIME_DIR: '/run/user/1000' }, uid: 1000, runDirExists: () => true }),
    '/run/dsd/dsd_ctl',
  );
  assert.equal(
    defaultControlSocketPath({ env: { XDG_RUNTIME_DIR: '/run/user/1000' }, uid: 1000, runDirExists: no }),
    '/run/user/1000/dsd_ctl',
  );
  assert.equal(
    defaultControlSocketPath({ env: {}, uid: 1000, runDirExists: no, tmpdir: '/tmp' }),
    '/tmp/dsd-1000/dsd_ctl',
  );
});
