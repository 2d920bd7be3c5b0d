// Each generated man page renders with man(1) without a single warning.
import { test } from 'node:test';
import { unlessCi } from '../helpers/require';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../unit/cli/golden';

const hasMan = (process.env.PATH ?? '').split(':').some((d) => fs.existsSync(path.join(d, 'man')));

for (const page of ['dsctl.8', 'dsd.8', 'dsd.cfg.5']) {
  test(
    `man -l man/${page} renders without warnings`,
    { skip: unlessCi(!hasMan && 'man is not installed (apt-get install man-db groff)') },
    async () => {
      const file = path.join(REPO_ROOT, 'man', page);
      const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          'man',
          ['--warnings', '-l', file],
          { env: { ...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat' }, timeout: 20_000 },
          (err, stdout, stderr) => resolve({ code: err ? -1 : 0, stdout, stderr }),
        );
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '', `warnings for ${page}`);
      assert.ok(r.stdout.length > 500, 'the page has content');
      assert.match(r.stdout, /NAME/);
    },
  );
}
