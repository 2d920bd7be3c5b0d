// The generated completion scripts, loaded in real shells; daemon candidates come from a real
// ControlServer answering the golden dispatcher.list.
import { after, before, test } from 'node:test';
import { unlessCi } from '../helpers/require';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../unit/cli/golden';
import { startDaemon, type TestDaemon } from './helpers';

const BASH_SCRIPT = path.join(REPO_ROOT, 'completions', 'dsctl.bash');
const BIN = path.join(REPO_ROOT, 'bin');

let d: TestDaemon;
before(async () => {
  d = await startDaemon();
});
after(async () => {
  await d.close();
});

function which(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => fs.existsSync(path.join(dir, cmd)));
}

function run(
  shell: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const e: NodeJS.ProcessEnv = { ...process.env, PATH: `${BIN}:${process.env.PATH}`, ...env };
    if (!('DSD_CTL' in env)) delete e.DSD_CTL;
    execFile(shell, args, { env: e, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

/** Candidates bash offers for `line` (cursor at its end). */
async function bashComplete(line: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const script = `source ${JSON.stringify(BASH_SCRIPT)}
COMP_LINE=${JSON.stringify(line)}; COMP_POINT=\${#COMP_LINE}
read -r -a COMP_WORDS <<<"$COMP_LINE"; COMP_CWORD=\${#COMP_WORDS[@]}
_dsctl
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = await run('bash', ['-c', script], env);
  assert.equal(r.stderr, '', `bash stderr for ${line}`);
  return r.stdout.split('\n').filter(Boolean);
}

test('bash: the script loads and registers dsctl', async () => {
  const r = await run('bash', ['-c', `source ${JSON.stringify(BASH_SCRIPT)}; complete -p dsctl`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'complete -F _dsctl dsctl');
});

test('bash: commands, kamcli verbs, states, list modes, options (no daemon needed)', async () => {
  const cmds = await bashComplete('dsctl dispatcher.s');
  assert.deepEqual(cmds.sort(), ['dispatcher.set_duid_state', 'dispatcher.set_state', 'dispatcher.stats']);
  assert.ok((await bashComplete('dsctl dispatcher m')).includes('memadd'));
  assert.deepEqual(await bashComplete('dsctl dispatcher.set_state '), ['a', 'ap', 'i', 'ip', 'd', 't', 'tp']);
  assert.deepEqual(await bashComplete('dsctl dispatcher.list '), ['short', 'full']);
  assert.ok((await bashComplete('dsctl dispatcher.add --p')).includes('--persist'));
});

test('bash: set ids and URIs from the running daemon, quoted; nothing when it is down', async () => {
  const env = { DSD_CTL: d.path };
  assert.deepEqual(await bashComplete('dsctl dispatcher.set_state ip ', env), ['1', '3', '2']);
  assert.deepEqual(await bashComplete('dsctl dispatcher.set_state ip 2 ', env), [
    'sip:127.0.0.1:5080\\;transport=udp',
    'sip:127.0.0.1:5099',
    'all',
  ]);
  // COMP_WORDBREAKS has ':' by default: only the part after the last ':' is offered.
  assert.deepEqual(await bashComplete('dsctl -s ' + d.path + ' dispatcher set_state ip 1 sip:127.0.0.1:508', {}), [
    '5081',
    '5080',
  ]);
  assert.deepEqual(await bashComplete('dsctl dispatcher.set_duid_state ip 2 ', env), ['gw1', 'gw2', 'all']);
  assert.deepEqual(await bashComplete('dsctl -s /nonexistent/sock dispatcher.set_state ip 2 '), ['all']);
});

test(
  'zsh: the script parses and completes states and URIs',
  { skip: unlessCi(!which('zsh') && 'zsh is not installed') },
  async () => {
    const file = path.join(REPO_ROOT, 'completions', '_dsctl');
    const script = `compdef() { :; }
compadd() { if [[ $1 == -a ]]; then print -l -- \${(P)2}; else shift $(( \${@[(i)--]} )); print -l -- "$@"; fi; }
_describe() { print -l -- \${(P)4}; }
source ${JSON.stringify(file)}
words=(dsctl dispatcher.set_state ip 2 ""); CURRENT=5; _dsctl
print -- ---
words=(dsctl dispatcher.set_state ""); CURRENT=3; _dsctl`;
    const r = await run('zsh', ['-f', '-c', script], { DSD_CTL: d.path });
    assert.equal(r.stderr, '');
    const [uris, states] = r.stdout.split('---\n');
    assert.deepEqual(uris!.trim().split('\n'), ['sip:127.0.0.1:5080;transport=udp', 'sip:127.0.0.1:5099', 'all']);
    assert.deepEqual(states!.trim().split('\n'), ['a', 'ap', 'i', 'ip', 'd', 't', 'tp']);
  },
);

test(
  'fish: the script loads and completes',
  { skip: unlessCi(!which('fish') && 'fish is not installed') },
  async () => {
    const file = path.join(REPO_ROOT, 'completions', 'dsctl.fish');
    const r = await run(
      'fish',
      [
        '--no-config',
        '-c',
        `source ${file}; complete -C'dsctl dispatcher.set_state ip 2 '; echo ---; complete -C'dsctl dispatcher '`,
      ],
      { DSD_CTL: d.path },
    );
    assert.equal(r.stderr, '');
    const [uris, verbs] = r.stdout.split('---\n');
    assert.deepEqual(uris!.trim().split('\n').sort(), [
      'all',
      'sip:127.0.0.1:5080;transport=udp',
      'sip:127.0.0.1:5099',
    ]);
    assert.ok(verbs!.split('\n').includes('memadd'));
  },
);
