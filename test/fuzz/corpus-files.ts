/** The seed corpus and the regression inputs of each fuzz target, under test/fuzz/ in the repository. */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

export const FUZZ_DIR = path.resolve(__dirname, '..', '..', '..', 'test', 'fuzz');

function readDir(dir: string): Buffer[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .sort()
    .map((f) => path.join(dir, f))
    .filter((f) => fs.statSync(f).isFile())
    .map((f) => fs.readFileSync(f));
}

export const seedsOf = (target: string): Buffer[] => readDir(path.join(FUZZ_DIR, 'corpus', target));
/** Inputs that once crashed a target (kept forever, replayed by every test run). */
export const regressionsOf = (target: string): Array<{ name: string; data: Buffer }> => {
  const dir = path.join(FUZZ_DIR, 'regressions', target);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .sort()
    .map((name) => ({ name, data: fs.readFileSync(path.join(dir, name)) }));
};

/** Writes `data` into test/fuzz/<kind>/<target>/ under its hash; returns the path. */
export function saveInput(kind: 'corpus' | 'crashes', target: string, data: Buffer): string {
  const dir = path.join(FUZZ_DIR, kind, target);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, crypto.createHash('sha1').update(data).digest('hex').slice(0, 16));
  fs.writeFileSync(file, data);
  return file;
}
