import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { completionFiles } from '../../../src/cli/docgen/gen-completions';
import { manFiles } from '../../../src/cli/docgen/gen-man';
import { esc, line } from '../../../src/cli/docgen/roff';
import { COMMANDS } from '../../../src/rpc-api/commands';
import { REPO_ROOT } from './golden';

test('committed man pages and completions are what the generators produce', () => {
  for (const [rel, text] of Object.entries({ ...manFiles(), ...completionFiles() })) {
    const committed = fs.readFileSync(path.join(REPO_ROOT, rel), 'utf8');
    assert.equal(committed, text, `${rel} is stale: run node dist/src/cli/docgen/gen-man.js and gen-completions.js`);
  }
});

test('dsctl.8 documents every command of the table', () => {
  const page = manFiles()['man/dsctl.8']!;
  for (const c of COMMANDS) assert.ok(page.includes(`\\fB${esc(c.name)}\\fR`), c.name);
});

test('dsd.8 documents options and signals', () => {
  const page = manFiles()['man/dsd.8']!;
  for (const s of [
    '\\fB\\-f\\fR',
    '\\fB\\-c\\fR',
    '\\fB\\-DD\\fR',
    '\\fB\\-E\\fR',
    '\\fB\\-P\\fR',
    '\\fB\\-V\\fR',
    'SIGTERM',
    'SIGHUP',
  ])
    assert.ok(page.includes(s), s);
});

test('roff escaping: backslashes, hyphens, leading dots', () => {
  assert.equal(esc('a\\b-c'), 'a\\eb\\-c');
  assert.equal(line('.hidden'), '\\&.hidden');
  assert.equal(line("'quote"), "\\&'quote");
});

test('completions offer every command name', () => {
  const files = completionFiles();
  for (const c of COMMANDS) for (const f of Object.values(files)) assert.ok(f.includes(c.name), c.name);
});
