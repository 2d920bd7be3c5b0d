/**
 * `npm run fuzz`: every target (or --target NAME) for --time SECONDS (default 300) each,
 * each input under --timeout MS (default 5000; an input past it is a crash, hung or not),
 * from test/fuzz/corpus/<target>/; inputs that reach new code are saved into the corpus,
 * a crash is written to test/fuzz/crashes/<target>/ and ends the run with exit 1 (copy it
 * into test/fuzz/regressions/<target>/ once fixed: every test run replays those).
 */
import path from 'node:path';
import { fuzzInWorker } from './worker-run';
import { TARGETS } from './targets';
import { seedsOf, saveInput } from './corpus-files';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const seconds = Number(arg('--time') ?? 300);
const only = arg('--target');
const seed = Number(arg('--seed') ?? Date.now() % 1e9);
const inputTimeoutMs = Number(arg('--timeout') ?? 5000);
const save = !process.argv.includes('--no-save');

async function main(): Promise<boolean> {
  let failed = false;
  for (const t of TARGETS.filter((x) => !only || x.name === only)) {
    const r = await fuzzInWorker({
      module: path.join(__dirname, 'targets'),
      target: t.name,
      seeds: seedsOf(t.name),
      ms: seconds * 1000,
      seed,
      inputTimeoutMs,
    });
    if (save) for (const a of r.added) saveInput('corpus', t.name, a);
    process.stdout.write(
      `${t.name}: ${r.execs} execs, ${r.features} features, corpus ${r.corpus.length} (+${r.added.length}), seed ${seed}\n`,
    );
    if (r.crash) {
      failed = true;
      const file = saveInput('crashes', t.name, r.crash.input);
      const what = r.crash.kind === 'timeout' ? 'TIMEOUT' : 'CRASH';
      process.stdout.write(`${what} in ${t.name}, input saved to ${file}\n${r.crash.error}\n`);
    }
  }
  return failed;
}

main().then(
  (failed) => process.exit(failed ? 1 : 0),
  (e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exit(2);
  },
);
