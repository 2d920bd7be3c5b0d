/**
 * The installed package's root (package.json, etc/, bin/): the nearest directory above
 * this code holding a package.json. The code sits in dist/src/core when run from tsc's
 * output and in dist/ when run from the single-file bundle (scripts/bundle.js), so a
 * fixed number of "..", right for one, would be wrong for the other.
 */
import fs from 'node:fs';
import path from 'node:path';

function findRoot(from: string): string {
  for (let dir = from, i = 0; i < 5; i++, dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  return path.resolve(from, '..', '..', '..');
}

export const PACKAGE_ROOT = findRoot(__dirname);
