// node dist/src/cli/docgen/gen-man.js [--check]: regenerates man/dsctl.8, man/dsd.8 and
// man/dsd.cfg.5 from the command table and meta.ts (--check: exit 1 if they are stale).
import { cfgPage, dsctlPage, dsdPage } from './man-pages';
import { packageVersion, runGenerator } from './outputs';

export function manFiles(version = packageVersion()): Record<string, string> {
  return {
    'man/dsctl.8': dsctlPage(version),
    'man/dsd.8': dsdPage(version),
    'man/dsd.cfg.5': cfgPage(version),
  };
}

if (require.main === module) process.exitCode = runGenerator('gen-man', manFiles(), process.argv.slice(2));
