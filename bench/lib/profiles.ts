/**
 * Reading what `node --cpu-prof` and v8.writeHeapSnapshot leave behind: top self-time
 * functions (and files) of a .cpuprofile, and the heap's self size by object kind.
 */
import fs from 'node:fs';
import path from 'node:path';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: CpuNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

interface SelfTime {
  name: string;
  where: string;
  selfMs: number;
  /** Share of all non-idle samples, %. */
  pct: number;
}

export interface CpuSummary {
  totalMs: number;
  idleMs: number;
  top: SelfTime[];
  byFile: SelfTime[];
}

function shortUrl(url: string, repo: string): string {
  if (!url) return '';
  let u = url.startsWith('file://') ? url.slice(7) : url;
  if (u.startsWith(repo + '/')) u = u.slice(repo.length + 1);
  return u.replace(/^dist\//, '');
}

/** Self time per function (name + file:line) and per file, as % of busy time. */
export function summarizeCpuProfile(file: string, repo: string, topN = 25): CpuSummary {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, CpuNode>();
  for (const n of prof.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  prof.samples.forEach((id, i) => {
    const d = prof.timeDeltas[i + 1] ?? 0; // time until the next sample belongs to this one
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, d));
  });
  const fn = new Map<string, SelfTime>();
  const files = new Map<string, SelfTime>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const where = shortUrl(n.callFrame.url, repo);
    const key = `${name}@${where}:${n.callFrame.lineNumber}`;
    const e = fn.get(key) ?? { name, where: where ? `${where}:${n.callFrame.lineNumber + 1}` : '', selfMs: 0, pct: 0 };
    e.selfMs += us / 1000;
    fn.set(key, e);
    const fileKey = where || name;
    const f = files.get(fileKey) ?? { name: fileKey, where: '', selfMs: 0, pct: 0 };
    f.selfMs += us / 1000;
    files.set(fileKey, f);
  }
  const finish = (m: Map<string, SelfTime>, n: number) =>
    [...m.values()]
      .map((e) => ({ ...e, pct: total > 0 ? (100 * e.selfMs * 1000) / total : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, n);
  return { totalMs: total / 1000, idleMs: idle / 1000, top: finish(fn, topN), byFile: finish(files, 15) };
}

export interface HeapKind {
  kind: string;
  count: number;
  bytes: number;
}

/** Self size of every heap node grouped by type and constructor/name, largest first. */
export function summarizeHeapSnapshot(
  file: string,
  topN = 25,
): { totalBytes: number; nodes: number; kinds: HeapKind[] } {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const stride = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const kinds = new Map<string, HeapKind>();
  let total = 0;
  const nodes = snap.nodes;
  for (let i = 0; i < nodes.length; i += stride) {
    const type = types[nodes[i + iType] ?? -1];
    const size = nodes[i + iSize] ?? 0;
    total += size;
    let kind: string;
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') kind = `(${type})`;
    else if (type === 'object' || type === 'native' || type === 'closure' || type === 'array' || type === 'hidden') {
      kind = `${snap.strings[nodes[i + iName] ?? -1] || '(anonymous)'}${type === 'object' ? '' : ` (${type})`}`;
      if (kind.length > 70) kind = kind.slice(0, 67) + '…';
    } else kind = `(${type})`;
    const k = kinds.get(kind) ?? { kind, count: 0, bytes: 0 };
    k.count++;
    k.bytes += size;
    kinds.set(kind, k);
  }
  return {
    totalBytes: total,
    nodes: nodes.length / stride,
    kinds: [...kinds.values()].sort((a, b) => b.bytes - a.bytes).slice(0, topN),
  };
}

/** The newest file with this extension in dir, or null. */
export function newestFile(dir: string, ext: string): string | null {
  if (!fs.existsSync(dir)) return null;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .map((f) => ({ f: path.join(dir, f), t: fs.statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  return files[0]?.f ?? null;
}
