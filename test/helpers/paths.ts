/**
 * Where things are, from compiled code (dist/test/helpers/ → the repository root): the
 * repository, and ../shared beside it (spec/, golden/, sipp/, rfc4475/ — read-only).
 * The one place that knows how many `..` that takes.
 */
import path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const SHARED = path.resolve(REPO, '..', 'shared');

/** A path under ../shared. */
export function shared(...parts: string[]): string {
  return path.join(SHARED, ...parts);
}
