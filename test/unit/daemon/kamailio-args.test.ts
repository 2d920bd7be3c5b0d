// kamailio's options on dsd's command line: Debian's kamailio.service line parses, -n sets
// children, -u/-g/-Y are kept, -m/-M/-L are accepted for one warning each, bad values refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, UsageError } from '../../../src/daemon/args';
import { warnIgnoredOptions } from '../../../src/daemon/kamailio-options';

test("kamailio.service's ExecStart line parses", () => {
  const a = parseArgs(
    ['-P', '/run/kamailio/kamailio.pid', '-f', '/etc/kamailio/kamailio.cfg', '-m', '64', '-M', '8'],
    'def.cfg',
  );
  assert.equal(a.pidFile, '/run/kamailio/kamailio.pid');
  assert.equal(a.cfgFile, '/etc/kamailio/kamailio.cfg');
  assert.deepEqual(a.ignored, ['-m 64', '-M 8']);
  const warnings: string[] = [];
  warnIgnoredOptions(a, { warn: (m) => warnings.push(m), info() {} });
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /^option -m 64 accepted for kamailio compatibility and ignored/);
});

test('-n, -b, -u, -g, -Y, -L', () => {
  const a = parseArgs(
    [
      '-n',
      '4',
      '-b',
      '1048576',
      '-u',
      'kamailio',
      '-g',
      'kamailio',
      '-Y',
      '/run/kamailio',
      '-L',
      '/usr/lib/kamailio/modules',
      '-DD',
    ],
    'x',
  );
  assert.equal(a.children, 4);
  assert.equal(a.maxBuffer, 1048576);
  assert.equal(parseArgs([], 'x').maxBuffer, null);
  assert.equal(a.user, 'kamailio');
  assert.equal(a.group, 'kamailio');
  assert.equal(a.runtimeDir, '/run/kamailio');
  assert.deepEqual(a.ignored, ['-L /usr/lib/kamailio/modules']);
  assert.equal(a.foreground, 2);
});

test('bad values are usage errors', () => {
  for (const argv of [['-n', '0'], ['-n', 'x'], ['-b', '-1'], ['-b', '1M'], ['-m', 'lots'], ['-u'], ['-Y', '']]) {
    assert.throws(() => parseArgs(argv, 'x'), UsageError, argv.join(' '));
  }
});
