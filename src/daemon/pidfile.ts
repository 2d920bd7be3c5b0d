/** The -P pid file: written at start, removed at exit (only if it still holds our pid). */
import fs from 'node:fs';

export function writePidFile(path: string): void {
  fs.writeFileSync(path, `${process.pid}\n`);
}

export function removePidFile(path: string): void {
  try {
    if (fs.readFileSync(path, 'utf8').trim() === String(process.pid)) fs.unlinkSync(path);
  } catch {
    /* already gone */
  }
}
