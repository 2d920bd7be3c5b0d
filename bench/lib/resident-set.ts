/**
 * The resident set of a group of processes, each physical page counted once: what the
 * proxy as a whole holds in RAM. A sum of per-process RSS counts a shared page once per
 * process mapping it (node's own binary in every dsd worker, Kamailio's shm segment in
 * every child); PSS splits it, but also with processes outside the group (the bench
 * harness is a node process too, so PSS under-counts node's pages for dsd).
 *
 * Read from /proc/PID/pagemap: one 64-bit entry per virtual page, bit 63 "present",
 * bits 0–54 the page frame number. The kernel shows frame numbers only to a process
 * with CAP_SYS_ADMIN; without it every frame reads 0 and the union cannot be formed,
 * so the answer is null rather than a wrong number.
 */
import fs from 'node:fs';

const PAGE = 4096;
/** Entries read per pread: 512 KB of pagemap, 256 MB of address space. */
const CHUNK = 65_536;
const PRESENT = 0x80000000;
/** Bits 32–54 of the frame number, in the entry's high word. */
const PFN_HIGH_MASK = 0x7fffff;

export interface ResidentSet {
  /** Bytes of distinct physical pages resident in any of the processes. */
  unique: number;
  /** Bytes of present pages summed over the processes (what a sum of RSS counts). */
  summed: number;
}

/** The group's resident pages; null when frame numbers are hidden (not privileged). */
export function residentSet(pids: readonly number[]): ResidentSet | null {
  const frames = new Set<number>();
  let present = 0;
  let hidden = false;
  const buf = Buffer.allocUnsafe(CHUNK * 8);
  for (const pid of pids) {
    let maps: string;
    let fd: number;
    try {
      maps = fs.readFileSync(`/proc/${pid}/maps`, 'latin1');
      fd = fs.openSync(`/proc/${pid}/pagemap`, 'r');
    } catch {
      continue; // gone, or not ours to read
    }
    try {
      for (const line of maps.split('\n')) {
        const dash = line.indexOf('-');
        const space = line.indexOf(' ');
        // [vsyscall] lies above the user address range pagemap covers
        if (dash < 0 || space < dash || line.endsWith('[vsyscall]')) continue;
        const from = parseInt(line.slice(0, dash), 16) / PAGE;
        const to = parseInt(line.slice(dash + 1, space), 16) / PAGE;
        for (let page = from; page < to; page += CHUNK) {
          const n = Math.min(CHUNK, to - page);
          let got: number;
          try {
            got = fs.readSync(fd, buf, 0, n * 8, page * 8);
          } catch {
            break; // the mapping went away under us
          }
          for (let at = 0; at + 8 <= got; at += 8) {
            const high = buf.readUInt32LE(at + 4);
            if ((high & PRESENT) === 0) continue;
            const frame = (high & PFN_HIGH_MASK) * 0x100000000 + buf.readUInt32LE(at);
            present++;
            if (frame === 0) hidden = true;
            else frames.add(frame);
          }
        }
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  if (hidden) return null;
  return { unique: frames.size * PAGE, summed: present * PAGE };
}
