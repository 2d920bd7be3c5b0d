/**
 * State files survive kill -9 at any moment: 20 rounds of starting dsd on the list file
 * and admin-state file the previous round left, running `--persist` adds/removes,
 * set_state (which writes the admin-state file) and reloads from dsctl while SIGKILL
 * lands among them (after a random number of them returned), then checking that both files are whole — the list parses
 * without a warning and names only URIs that were ever written, the admin-state file
 * loads — and that dsd starts on them. A damaged admin-state file is refused with its
 * path: dsd does not start on half of the admin states.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startDsd, basicCfg, DSCTL_BIN, DSD_BIN, tmpDir } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { parseListFile } from '../../src/modules/dispatcher/list-file';
import { AdminStateFile } from '../../src/modules/dispatcher/admin-file';
import { pause, waitUntil } from '../helpers/wait';
import { prng } from '../helpers/prng';

const STATE_PARAM = 'modparam("dispatcher", "ds_admin_state_file", "{DIR}/admin-state.json")';

const quiet = { error() {}, warn() {}, info() {}, debug() {} } as unknown as ConstructorParameters<
  typeof AdminStateFile
>[1];

/** Runs dsctl without waiting on it; resolves when it exits (whatever the outcome). */
function dsctlBg(sock: string, args: string[]): Promise<void> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [DSCTL_BIN, '-s', `unix:${sock}`, ...args], { stdio: 'ignore' });
    const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

test(
  'kill -9 during --persist, set_state and reload: the files always load (20 rounds)',
  { timeout: 600_000 },
  async () => {
    const seed = Number(process.env.DSD_CRASH_SEED ?? Date.now() % 100000);
    const rnd = prng(seed);
    const [px] = await freePorts(1);
    const known = new Set<string>();
    const uri = (i: number): string => `sip:10.9.${Math.floor(i / 250)}.${(i % 250) + 1}:5060`;
    let list = '';
    for (let i = 0; i < 40; i++) {
      list += `1 ${uri(i)} 0 0 duid=d${i}\n`;
      known.add(uri(i));
    }
    let state: string | null = null;
    let next = 40;
    let listChanges = 0;
    let stateChanges = 0;
    for (let round = 0; round < 20; round++) {
      const files: Record<string, string> = state === null ? {} : { 'admin-state.json': state };
      const dsd = await startDsd({
        cfg: basicCfg({
          listen: [`udp:127.0.0.1:${px}`],
          params: ['modparam("dispatcher", "reload_delta", 0)', STATE_PARAM],
        }),
        list,
        files,
        startTimeoutMs: 30_000,
      }).catch((e: Error) => {
        throw new Error(
          `round ${round} (seed ${seed}): dsd did not start on the files the last round left: ${e.message}`,
        );
      });
      let listAfter: string;
      let stateAfter: string | null;
      try {
        const sock = `${dsd.dir}/dsd_ctl`;
        const jobs: Array<Promise<void>> = [];
        for (let k = 0; k < 6; k++) {
          const r = rnd();
          if (r < 0.35) {
            const u = uri(next++);
            known.add(u);
            jobs.push(dsctlBg(sock, ['dispatcher.add', '--persist', '1', u, '0', '0', `duid=n${next}`]));
          } else if (r < 0.5) {
            jobs.push(dsctlBg(sock, ['dispatcher.remove', '--persist', '1', uri(Math.floor(rnd() * next))]));
          } else if (r < 0.85) {
            jobs.push(
              dsctlBg(sock, [
                'dispatcher.set_state',
                ...(rnd() < 0.5 ? ['--persist'] : []),
                rnd() < 0.5 ? 'ip' : 'ap',
                '1',
                uri(Math.floor(rnd() * 40)),
              ]),
            );
          } else {
            jobs.push(dsctlBg(sock, ['dispatcher.reload']));
          }
        }
        // The kill lands inside the burst: after 1 to 5 of the 6 calls have returned, plus up to
        // 200 ms. A condition, not a time: where dsctl takes seconds to start (a loaded machine) a
        // random pause fell before every write in most rounds.
        let returned = 0;
        for (const j of jobs) void j.then(() => returned++);
        const killAfter = 1 + Math.floor(rnd() * 5);
        await waitUntil(() => returned >= killAfter, {
          timeoutMs: 60_000,
          everyMs: 5,
          what: `${killAfter} of the round's dsctl calls to return`,
        });
        await pause(Math.floor(rnd() * 200));
        dsd.proc.kill('SIGKILL');
        await Promise.all(jobs);
        listAfter = fs.readFileSync(path.join(dsd.dir, 'dispatcher.list'), 'utf8');
        const sf = path.join(dsd.dir, 'admin-state.json');
        stateAfter = fs.existsSync(sf) ? fs.readFileSync(sf, 'utf8') : null;
      } finally {
        await dsd.stop();
      }
      const where = `round ${round} (seed ${seed})`;
      const parsed = parseListFile(listAfter, 'dispatcher.list');
      assert.deepEqual(parsed.warnings, [], `${where}: the list has damaged lines:\n${listAfter}`);
      assert.ok(listAfter.endsWith('\n'), `${where}: the list ends mid-line`);
      for (const r of parsed.records) assert.ok(known.has(r.uri), `${where}: ${r.uri} was never written (a torn line)`);
      if (stateAfter !== null) {
        const dir = tmpDir('crash-state-');
        try {
          fs.writeFileSync(path.join(dir, 's.json'), stateAfter);
          assert.doesNotThrow(
            () => new AdminStateFile(path.join(dir, 's.json'), quiet).load(),
            `${where}: admin state file:\n${stateAfter}`,
          );
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
      if (listAfter !== list) listChanges++;
      if (stateAfter !== state) stateChanges++;
      list = listAfter;
      state = stateAfter;
    }
    // the kills did land among the writes, not only before or after them
    assert.ok(
      listChanges >= 3 && stateChanges >= 1,
      `(seed ${seed}) list changed in ${listChanges} rounds, admin state in ${stateChanges}`,
    );
    // and the last round's files start a daemon too
    const last = await startDsd({
      cfg: basicCfg({ listen: [`udp:127.0.0.1:${px}`], params: [STATE_PARAM] }),
      list,
      files: state === null ? {} : { 'admin-state.json': state },
    });
    assert.equal(await last.stop(), 0);
  },
);

test('a damaged admin-state file is refused at start with its path', { timeout: 60_000 }, async () => {
  const [px] = await freePorts(1);
  const dir = tmpDir('torn-state-');
  try {
    const cfgFile = path.join(dir, 'dsd.cfg');
    fs.writeFileSync(
      cfgFile,
      basicCfg({ listen: [`udp:127.0.0.1:${px}`], params: [STATE_PARAM] }).replaceAll('{DIR}', dir),
    );
    fs.writeFileSync(path.join(dir, 'dispatcher.list'), '1 sip:10.0.0.1:5060 0 0\n');
    const stateFile = path.join(dir, 'admin-state.json');
    // what a torn write would leave: the first half of a state file
    const whole = JSON.stringify(
      { version: 1, states: [{ setId: 1, uri: 'sip:10.0.0.1:5060', state: 'ip', at: 1 }] },
      null,
      1,
    );
    fs.writeFileSync(stateFile, whole.slice(0, Math.floor(whole.length / 2)));
    const p = spawn(process.execPath, [DSD_BIN, '-DD', '-E', '-f', cfgFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d) => {
      out += d;
    });
    p.stderr!.on('data', (d) => {
      out += d;
    });
    const kill = setTimeout(() => p.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
    clearTimeout(kill);
    assert.notEqual(code, 0, out);
    assert.ok(out.includes(`admin state file ${stateFile} is damaged`), out);
    assert.doesNotMatch(out, /started, listening/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
