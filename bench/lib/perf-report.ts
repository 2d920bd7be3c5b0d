/**
 * Whole-process CPU breakdown from `perf record -g` (when perf is installed): every
 * thread of the process tree, kernel included — what `node --cpu-prof` cannot see (GC
 * helper threads, background compilation, the socket syscalls). Samples are put in
 * buckets by their call chain; JavaScript time goes to the nearest JS frame, so a
 * builtin (string slice, Map lookup) counts for the dsd function that called it.
 * Kamailio's samples are bucketed by module (.so) and function.
 */
import { spawnSync } from 'node:child_process';

interface PerfBucket {
  name: string;
  samples: number;
  pct: number;
}

export interface PerfSummary {
  samples: number;
  categories: PerfBucket[];
  /** Self time of user-space functions (JS: nearest JS frame), top N. */
  functions: PerfBucket[];
  /** Samples whose chain contains the function (each sample once per function), top N. */
  inclusive: PerfBucket[];
}

interface Frame {
  sym: string;
  dso: string;
}
interface Sample {
  tid: number;
  pid: number;
  frames: Frame[];
}

/** Parses `perf script -F pid,tid,ip,sym,dso` output (callchains below each header line). */
function parseScript(text: string): Sample[] {
  const out: Sample[] = [];
  let cur: Sample | null = null;
  for (const line of text.split('\n')) {
    if (line.length === 0) {
      if (cur) out.push(cur);
      cur = null;
      continue;
    }
    if (line.charCodeAt(0) !== 9 && line.charCodeAt(0) !== 32) {
      if (cur) out.push(cur);
      const m = /^\s*(\d+)\/(\d+)/.exec(line) ?? /^\s*(\d+)\s+(\d+)/.exec(line);
      cur = m ? { pid: Number(m[1]), tid: Number(m[2]), frames: [] } : null;
      continue;
    }
    if (!cur) continue;
    const m = /^\s+[0-9a-f]+\s+(.*)\s+\(([^)]*)\)\s*$/.exec(line);
    const [, sym, dso] = m ?? [];
    if (sym !== undefined && dso !== undefined) cur.frames.push({ sym: sym.replace(/\+0x[0-9a-f]+$/, ''), dso });
  }
  if (cur) out.push(cur);
  return out;
}

const GC =
  /Scaveng|Marking|MarkCompact|Sweep|Heap::|GCTracer|Evacuat|RememberedSet|ArrayBufferSweeper|MinorMC|IncrementalMarking|ConcurrentMarking/;
const COMPILER =
  /v8::internal::compiler::|Maglev|Turbofan|OptimizedCompilationJob|Compiler::|BytecodeGenerator|Parser::|baseline::/;

function isKernel(f: Frame): boolean {
  return f.dso.includes('kernel');
}

function kernelBucket(frames: Frame[]): string {
  const chain = frames.map((f) => f.sym).join(' ');
  if (/page_fault|handle_mm_fault|clear_page/.test(chain)) return 'kernel: page faults (memory first touched)';
  if (/sendmsg|sendto|udp_send|ip_finish_output|__dev_queue_xmit|udp_sendmsg/.test(chain))
    return 'kernel: UDP send (loopback delivery included)';
  if (/recvmsg|recvfrom|udp_recv|skb_copy_datagram/.test(chain)) return 'kernel: UDP receive';
  if (/epoll|do_poll|schedule|finish_task_switch|futex/.test(chain)) return 'kernel: waiting/scheduling (epoll, futex)';
  if (/munmap|mmap|madvise|brk/.test(chain)) return 'kernel: mmap/munmap';
  return 'kernel: other';
}

function nodeSample(s: Sample): { cat: string; fn: string | null } {
  const leaf = s.frames[0];
  if (!leaf) return { cat: 'unknown', fn: null };
  const syms = s.frames.map((f) => f.sym);
  const helper = s.tid !== s.pid;
  if (syms.some((x) => GC.test(x))) return { cat: helper ? 'GC (helper threads)' : 'GC (main thread)', fn: null };
  if (syms.some((x) => COMPILER.test(x)))
    return { cat: helper ? 'JIT compiler (background threads)' : 'JIT compiler (main thread)', fn: null };
  if (isKernel(leaf)) return { cat: kernelBucket(s.frames), fn: null };
  if (helper) return { cat: 'other threads (libuv pool, platform)', fn: null };
  const js = s.frames.find((f) => f.sym.startsWith('JS:'));
  if (js) {
    const name =
      js.sym
        .replace(/^JS:[*^~+]?/, '')
        .replace(/ \/.*\/dist\//, ' ')
        .trim() || '(anonymous)';
    return {
      cat: leaf.sym.startsWith('JS:') ? 'JavaScript (JIT code)' : 'JavaScript (V8 builtins/runtime called from JS)',
      fn: name,
    };
  }
  if (s.frames.some((f) => /uv_|UDPWrap|node::/.test(f.sym)))
    return { cat: 'node/libuv native (event loop, UDP wrap)', fn: null };
  return { cat: 'other native', fn: null };
}

function kamailioSample(s: Sample): { cat: string; fn: string | null } {
  const leaf = s.frames[0];
  if (!leaf) return { cat: 'unknown', fn: null };
  if (isKernel(leaf)) return { cat: kernelBucket(s.frames), fn: null };
  const dso = leaf.dso.split('/').pop() ?? leaf.dso;
  if (/^(qm_|fm_|tlsf_)/.test(leaf.sym)) return { cat: 'memory manager (shm/pkg malloc)', fn: `${leaf.sym} (${dso})` };
  if (dso.startsWith('libc')) return { cat: 'libc', fn: `${leaf.sym} (${dso})` };
  if (dso === 'kamailio') return { cat: 'kamailio core (parser, cfg interpreter, net)', fn: leaf.sym };
  return { cat: `modules (${dso.endsWith('.so') ? '*.so' : dso})`, fn: `${leaf.sym} (${dso})` };
}

function rank(m: Map<string, number>, total: number, n: number): PerfBucket[] {
  return [...m.entries()]
    .map(([name, samples]) => ({ name, samples, pct: total ? (100 * samples) / total : 0 }))
    .sort((a, b) => b.samples - a.samples)
    .slice(0, n);
}

/** Summarizes a perf.data file; `kind` picks the bucketing. */
export function summarizePerf(dataFile: string, kind: 'node' | 'kamailio', topN = 25): PerfSummary | null {
  const r = spawnSync('perf', ['script', '-i', dataFile, '-F', 'pid,tid,ip,sym,dso'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0 || !r.stdout) return null;
  const samples = parseScript(r.stdout);
  const cats = new Map<string, number>();
  const fns = new Map<string, number>();
  const incl = new Map<string, number>();
  for (const s of samples) {
    const { cat, fn } = kind === 'node' ? nodeSample(s) : kamailioSample(s);
    cats.set(cat, (cats.get(cat) ?? 0) + 1);
    if (fn) fns.set(fn, (fns.get(fn) ?? 0) + 1);
    const seen = new Set<string>();
    for (const f of s.frames) {
      const name =
        kind === 'node'
          ? f.sym.startsWith('JS:')
            ? f.sym
                .replace(/^JS:[*^~+]?/, '')
                .replace(/ \/.*\/dist\//, ' ')
                .replace(/:\d+$/, '')
                .trim()
            : null
          : isKernel(f)
            ? null
            : f.sym;
      if (name && !seen.has(name)) {
        seen.add(name);
        incl.set(name, (incl.get(name) ?? 0) + 1);
      }
    }
  }
  const total = samples.length;
  return {
    samples: total,
    categories: rank(cats, total, 30),
    functions: rank(fns, total, topN),
    inclusive: rank(incl, total, topN),
  };
}
