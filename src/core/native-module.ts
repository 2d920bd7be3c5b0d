/**
 * The project's own native modules (native/<name>, built by scripts/build-native.js into
 * dist/native/<name>.node): each is optional, so loading one yields the module or why
 * not, once per process. Their callers: transport/udp-native.ts (udpio),
 * daemon/full-gc.ts (heap).
 */
import path from 'node:path';
import { PACKAGE_ROOT } from './package-root';

export interface NativeLoad<T> {
  readonly mod: T | null;
  /** Why `mod` is null ('' when it loaded). */
  readonly why: string;
}

const loaded = new Map<string, NativeLoad<unknown>>();

/** dist/native/<name>.node, or null and why not (not Linux, not built, not loadable). */
export function loadNativeModule<T>(name: string): NativeLoad<T> {
  let r = loaded.get(name);
  if (r === undefined) {
    const file = path.join(PACKAGE_ROOT, 'dist', 'native', `${name}.node`);
    if (process.platform !== 'linux') r = { mod: null, why: 'not Linux' };
    else {
      try {
        r = { mod: require(file) as unknown, why: '' };
      } catch (e) {
        r = { mod: null, why: `${file} not loaded (${(e as Error).message.split('\n')[0]})` };
      }
    }
    loaded.set(name, r);
  }
  return r as NativeLoad<T>;
}
