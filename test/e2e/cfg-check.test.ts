/**
 * `dsd -c -f FILE` through the real binary, like `kamailio -c`: the Kamailio dispatcher
 * sample is accepted (with one warning per module dsd does not implement); each broken
 * config under test/fixtures/cfg/broken is refused with a non-zero exit and its error as
 * `file:line:col: message` on stderr; and the daemon itself (no -c) refuses to start on
 * the same file with the same location.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DSD_BIN, REPO, tmpDir } from '../helpers/daemon';
import { FIXTURES } from '../helpers/sipp';
import { at } from '../helpers/at';

const BROKEN = path.join(FIXTURES, 'cfg', 'broken');
const SAMPLE = path.join(FIXTURES, 'cfg', 'dispatcher-sample.cfg');

interface Run {
  code: number | null;
  stderr: string;
  stdout: string;
}

/**
 * Runs bin/dsd with its own control-socket path (DSD_CTL), so that a config that
 * wrongly starts cannot touch a shared run directory; bounded in time.
 */
function dsd(args: string[]): Run {
  const dir = tmpDir('dsd-cfgcheck-');
  try {
    const r = spawnSync(process.execPath, [DSD_BIN, ...args], {
      encoding: 'utf8',
      timeout: 10_000,
      killSignal: 'SIGKILL',
      env: { ...process.env, DSD_CTL: path.join(dir, 'dsd_ctl') },
    });
    return { code: r.status, stderr: r.stderr, stdout: r.stdout };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** stderr lines that are positioned errors (`file:line:col: message`, not warnings). */
function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /^[^\s:]+:\d+:\d+: /.test(l) && !/^[^\s:]+:\d+:\d+: warning: /.test(l));
}

interface Expected {
  /** Relative to test/fixtures/cfg/broken (where the error is, for includes). */
  file: string;
  line: number;
  col: number;
  message: RegExp;
}

interface BrokenCase {
  name: string;
  cfg: string;
  errors: Expected[];
  /** false: the error comes from a module's parameter table, read after the cfg compiled (no "N error(s)" line). */
  counted?: false;
}

const CASES: BrokenCase[] = [
  {
    name: 'unknown function',
    cfg: 'unknown-function.cfg',
    errors: [{ file: 'unknown-function.cfg', line: 7, col: 2, message: /unknown function 'no_such_function'/ }],
  },
  {
    name: 'wrong argument count',
    cfg: 'wrong-arg-count.cfg',
    errors: [{ file: 'wrong-arg-count.cfg', line: 6, col: 2, message: /'sl_send_reply' takes 2 arguments, 1 given/ }],
  },
  {
    name: 'unbalanced braces',
    cfg: 'unbalanced-braces.cfg',
    errors: [
      { file: 'unbalanced-braces.cfg', line: 6, col: 15, message: /unbalanced braces.*not closed.*missing '\}'/ },
    ],
  },
  {
    name: 'undefined route',
    cfg: 'undefined-route.cfg',
    errors: [{ file: 'undefined-route.cfg', line: 6, col: 8, message: /route\[NOWHERE\] is not defined/ }],
  },
  {
    name: 'unknown module',
    cfg: 'unknown-module.cfg',
    errors: [{ file: 'unknown-module.cfg', line: 4, col: 1, message: /unknown module 'nosuchmodule(\.so)?'/ }],
  },
  {
    name: 'bad modparam type',
    cfg: 'bad-modparam-type.cfg',
    errors: [
      {
        file: 'bad-modparam-type.cfg',
        line: 4,
        col: 28,
        message: /modparam\("tm", "fr_timer"\).*integer.*"two seconds"/,
      },
    ],
  },
  {
    // read by tm's own parameter table (modules/tm/params.ts); the last line counts
    name: 'bad tm limit',
    cfg: 'bad-tm-limit.cfg',
    counted: false,
    errors: [
      {
        file: 'bad-tm-limit.cfg',
        line: 6,
        col: 36,
        message: /modparam\("tm", "max_transactions"\): expects a non-negative integer, got -1/,
      },
    ],
  },
  {
    // read by ctl's own parameter table (modules/ctl/params.ts)
    name: 'bad ctl mode',
    cfg: 'bad-ctl-mode.cfg',
    counted: false,
    errors: [
      { file: 'bad-ctl-mode.cfg', line: 6, col: 25, message: /modparam\("ctl", "mode"\): 4095: not a file mode/ },
    ],
  },
  {
    name: 'unterminated string',
    cfg: 'unterminated-string.cfg',
    errors: [{ file: 'unterminated-string.cfg', line: 5, col: 23, message: /unterminated string/ }],
  },
  {
    name: 'unknown global parameter',
    cfg: 'unknown-global.cfg',
    errors: [{ file: 'unknown-global.cfg', line: 4, col: 1, message: /unknown global parameter 'no_such_param'/ }],
  },
  {
    name: 'unknown pseudo-variable',
    cfg: 'unknown-pv.cfg',
    errors: [{ file: 'unknown-pv.cfg', line: 7, col: 6, message: /unknown pseudo-variable \$nosuchpv/ }],
  },
  {
    name: 'unknown pseudo-variable in a format string',
    cfg: 'unknown-pv-in-string.cfg',
    errors: [{ file: 'unknown-pv-in-string.cfg', line: 7, col: 17, message: /unknown pseudo-variable \$nosuchpv/ }],
  },
  {
    name: 'error in an included file',
    cfg: 'include-error.cfg',
    errors: [{ file: 'included/routes.cfg', line: 4, col: 2, message: /unknown function 'sl_send_replyy'/ }],
  },
  {
    name: 'two errors, both reported in file order',
    cfg: 'two-errors.cfg',
    errors: [
      { file: 'two-errors.cfg', line: 6, col: 2, message: /'sl_send_reply' takes 2 arguments, 1 given/ },
      { file: 'two-errors.cfg', line: 7, col: 8, message: /route\[MISSING\] is not defined/ },
    ],
  },
];

function assertErrors(stderr: string, expected: Expected[], what: string): void {
  const lines = errorLines(stderr);
  assert.equal(
    lines.length,
    expected.length,
    `${what}: expected ${expected.length} positioned error(s), stderr:\n${stderr}`,
  );
  expected.forEach((e, i) => {
    const prefix = `${path.join(BROKEN, e.file)}:${e.line}:${e.col}: `;
    assert.ok(
      at(lines, i).startsWith(prefix),
      `${what}: error ${i + 1} should start with ${prefix}\n got: ${lines[i]}`,
    );
    assert.match(at(lines, i).slice(prefix.length), e.message, what);
  });
}

test('dsd -c accepts the Kamailio dispatcher sample: exit 0, "config file ok", one warning per no-op module', () => {
  const r = dsd(['-c', '-f', SAMPLE]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /config file ok/);
  assert.deepEqual(errorLines(r.stderr), []);
  for (const mod of ['kex', 'corex']) {
    const w = r.stderr.split('\n').filter((l) => l.includes('warning:') && l.includes(`'${mod}'`));
    assert.equal(w.length, 1, `one warning for ${mod}:\n${r.stderr}`);
    assert.match(at(w, 0), new RegExp(`^${SAMPLE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:1: warning: `));
  }
  // the modules dsd implements load silently
  for (const mod of [
    'tm',
    'sl',
    'rr',
    'pv',
    'maxfwd',
    'textops',
    'siputils',
    'xlog',
    'sanity',
    'ctl',
    'jsonrpcs',
    'acc',
    'dispatcher',
  ]) {
    assert.ok(
      !r.stderr.split('\n').some((l) => l.includes('warning:') && l.includes(`'${mod}'`)),
      `no warning for ${mod}`,
    );
  }
});

test('dsd -c accepts the shipped etc/dsd.cfg', () => {
  const r = dsd(['-c', '-f', path.join(REPO, 'etc', 'dsd.cfg')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /config file ok/);
  assert.equal(r.stderr.includes('warning:'), false, r.stderr);
});

for (const c of CASES) {
  test(`dsd -c refuses a config with ${c.name}`, () => {
    const file = path.join(BROKEN, c.cfg);
    const r = dsd(['-c', '-f', file]);
    assert.notEqual(r.code, 0, `exit code for ${c.cfg}`);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stderr, /config file ok/);
    assertErrors(r.stderr, c.errors, `dsd -c ${c.cfg}`);
    if (c.counted !== false) assert.match(r.stderr, new RegExp(`${c.errors.length} error\\(s\\)`));
  });
}

test('the daemon (no -c) refuses to start on each broken config, with the same locations', () => {
  for (const c of CASES) {
    const r = dsd(['-DD', '-E', '-f', path.join(BROKEN, c.cfg)]);
    assert.notEqual(r.code, null, `${c.cfg}: dsd did not exit by itself`);
    assert.notEqual(r.code, 0, `${c.cfg}: dsd started:\n${r.stderr}`);
    assert.doesNotMatch(r.stderr + r.stdout, /started, listening on/);
    assertErrors(r.stderr, c.errors, `dsd -f ${c.cfg}`);
  }
});
