/**
 * One full garbage collection, on purpose: after the warm-up (warmup.ts) the heap holds
 * that work's garbage — a few MB of synthetic messages, transactions and compiler
 * leftovers — collected before the process reads its first message, where it costs no
 * call a pause; and in a process gone quiet after a load (heap-quiet.ts). dsd runs with
 * V8's memory reducer off (node-flags.ts), so these are the collections that give memory
 * back.
 *
 * With native/heap (scripts/build-native.js) it is V8's low-memory collection, which
 * also compacts and releases the free pages, as the reducer did. Without it, `gc` is made
 * for this one call in a context of its own (the daemon's globals stay as they are), and
 * `--expose-gc` is turned off again at once: V8 ties a code cache to the flags (the build
 * writes dist/dsd.js.cache from a started daemon, and a cache written under another flag
 * set would be refused at every start).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { loadNativeModule } from '../core/native-module';

/** native/heap (scripts/build-native.js). */
interface NativeHeap {
  /** V8's low-memory collection: full, compacting, and it gives the free pages back. */
  lowMemory(): void;
}

export interface GcResult {
  /** Heap in use before and after, bytes. */
  readonly before: number;
  readonly after: number;
}

/** Bytes as MB with one decimal: how the collections are logged. */
export const mb = (bytes: number): number => Math.round((bytes / 1e6) * 10) / 10;

/** A full collection now; null where the runtime does not allow one. */
export function fullGc(): GcResult | null {
  const before = v8.getHeapStatistics().used_heap_size;
  const heap = loadNativeModule<NativeHeap>('heap').mod;
  if (heap !== null) {
    heap.lowMemory();
    return { before, after: v8.getHeapStatistics().used_heap_size };
  }
  let gc: unknown;
  try {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc');
  } catch {
    gc = null;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
  if (typeof gc !== 'function') return null;
  (gc as () => void)();
  return { before, after: v8.getHeapStatistics().used_heap_size };
}
