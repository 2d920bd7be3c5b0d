/**
 * Replacing a state file so that a crash or a power cut at any moment leaves either the
 * old file or the new one, whole: write a temp file beside it, fsync it, rename it over
 * the old one, fsync the directory (so the rename itself is on disk).
 */
import fs from 'node:fs';
import path from 'node:path';

export function writeFileDurable(file: string, text: string, mode = 0o644): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  const dfd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
}
