// Writes (or, with --check, verifies) generated files under the repository root.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** dist/src/cli/docgen → repository root. */
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');

export function packageVersion(root = REPO_ROOT): string {
  const pj = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string };
  return pj.version ?? '0.0.0';
}

/** Returns the files that differ (check) or were rewritten (write). */
function syncOutputs(files: Readonly<Record<string, string>>, opts: { check: boolean; root?: string }): string[] {
  const root = opts.root ?? REPO_ROOT;
  const changed: string[] = [];
  for (const [rel, text] of Object.entries(files)) {
    const abs = path.join(root, rel);
    let old: string | undefined;
    try {
      old = fs.readFileSync(abs, 'utf8');
    } catch {
      old = undefined;
    }
    if (old === text) continue;
    changed.push(rel);
    if (!opts.check) {
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.writeFileSync(abs, text);
    }
  }
  return changed;
}

/** CLI wrapper shared by gen-man and gen-completions. */
export function runGenerator(name: string, files: Readonly<Record<string, string>>, argv: readonly string[]): number {
  const check = argv.includes('--check');
  const changed = syncOutputs(files, { check });
  if (check && changed.length) {
    process.stderr.write(`${name}: out of date: ${changed.join(', ')} (run node dist/src/cli/docgen/${name}.js)\n`);
    return 1;
  }
  if (!check && changed.length) process.stdout.write(`${name}: wrote ${changed.join(', ')}\n`);
  return 0;
}
