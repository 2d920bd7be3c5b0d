/**
 * Writes RPC changes back to the list file (`dsctl … --persist`, kamailio#1578): an added
 * destination is appended as a new line, a removed one loses its line(s), a set_state
 * rewrites the flags column. Every other byte of the file — comments, blank lines,
 * order, spacing — stays as it was. The new file is written to a temp file beside the
 * original and renamed over it, so a crash never leaves half a list.
 */
import fs from 'node:fs';
import { writeFileDurable } from '../../core/durable-file';
import type { DsChange, DsChangeSink } from './change';
import { parseRpcState } from './flags';
import type { DsList } from './model';

interface ParsedLine {
  setId: number;
  uri: string;
  /** Field offsets in the line: [start, end) of uri and flags (flags may be absent). */
  uriEnd: number;
  flagsStart: number;
  flagsEnd: number;
}

/** Splits a list-file record the way list-file.ts reads it (setid, uri, flags, …). */
function parseLine(line: string): ParsedLine | null {
  let i = 0;
  while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
  if (i >= line.length || line[i] === '#') return null;
  const setStart = i;
  while (i < line.length && line.charCodeAt(i) >= 48 && line.charCodeAt(i) <= 57) i++;
  const setId = i > setStart ? Number(line.slice(setStart, i)) : 0;
  while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
  const uriStart = i;
  while (i < line.length && line[i] !== ' ' && line[i] !== '\t' && line[i] !== '#') i++;
  if (i === uriStart) return null;
  const uri = line.slice(uriStart, i);
  const uriEnd = i;
  while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
  const flagsStart = i;
  while (i < line.length && line[i] !== ' ' && line[i] !== '\t' && line[i] !== '#') i++;
  return { setId, uri, uriEnd, flagsStart, flagsEnd: i };
}

function sameUri(a: string, b: string): boolean {
  return a === b || (!a.includes(':') && `sip:${a}` === b) || (!b.includes(':') && `sip:${b}` === a);
}

function writeAtomic(file: string, text: string): void {
  let mode = 0o644;
  try {
    mode = fs.statSync(file).mode & 0o777;
  } catch {
    /* new file */
  }
  writeFileDurable(file, text, mode);
}

export class ListFileWriter implements DsChangeSink {
  /** `list()` is the running list (set_duid_state finds the URIs that carry the duid in it). */
  constructor(
    readonly file: string,
    private readonly list: () => DsList | null = () => null,
  ) {}

  /** Writes one applied change to the file; a reload or a cleared override has nothing to write. */
  apply(c: DsChange): void {
    switch (c.kind) {
      case 'reload':
      case 'clearOverrides':
        return;
      case 'add':
        this.add(c.setId, c.uri, c.flags, c.priority, c.attrs);
        return;
      case 'remove':
        this.remove(c.setId, c.uri);
        return;
      case 'setState': {
        const st = parseRpcState(c.state);
        if (st.ok) this.setState(c.setId, c.uri, st.state);
        return;
      }
      case 'setDuidState': {
        // The list file has no duid column of its own: rewrite the lines of the URIs that carry it.
        const st = parseRpcState(c.state);
        if (!st.ok) return;
        const duid = c.duid.toLowerCase();
        const dests = this.list()?.byId.get(c.setId)?.dests ?? [];
        const uris = dests.filter((d) => duid === 'all' || d.attrs.duid?.toLowerCase() === duid).map((d) => d.uri);
        for (const u of new Set(uris)) this.setState(c.setId, u, st.state);
        return;
      }
      default:
        // a drain is no Kamailio flag: --persist keeps it in the admin-state file
        return;
    }
  }

  private lines(): { lines: string[]; eol: string; trailing: boolean } {
    const text = fs.readFileSync(this.file, 'utf8');
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    const trailing = text.endsWith('\n');
    const lines = text.split(/\r?\n/);
    if (trailing) lines.pop();
    return { lines, eol, trailing };
  }

  private save(lines: string[], eol: string): void {
    writeAtomic(this.file, lines.join(eol) + eol);
  }

  add(setId: number, uri: string, flags: number, priority: number, attrs: string | null): void {
    const { lines, eol } = this.lines();
    lines.push(`${setId} ${uri} ${flags} ${priority}${attrs ? ` ${attrs}` : ''}`);
    this.save(lines, eol);
  }

  /** Removes every line of the set with this URI; returns how many. */
  remove(setId: number, uri: string): number {
    const { lines, eol } = this.lines();
    const kept = lines.filter((l) => {
      const p = parseLine(l);
      return !(p && p.setId === setId && sameUri(p.uri, uri));
    });
    const n = lines.length - kept.length;
    if (n > 0) this.save(kept, eol);
    return n;
  }

  /**
   * Sets the state bits (I/D/T/P: the low 4 bits) of the flags column for one URI of a
   * set, or every destination of it (`all`), keeping the other flag bits.
   */
  setState(setId: number, uri: string | 'all', state: number): number {
    const { lines, eol } = this.lines();
    let n = 0;
    const out = lines.map((l) => {
      const p = parseLine(l);
      if (!p || p.setId !== setId || (uri !== 'all' && !sameUri(p.uri.toLowerCase(), uri.toLowerCase()))) return l;
      n++;
      const oldText = l.slice(p.flagsStart, p.flagsEnd);
      const old = /^0x[0-9a-f]+$/i.test(oldText) ? parseInt(oldText, 16) : /^\d+$/.test(oldText) ? Number(oldText) : 0;
      const flags = (old & ~15) | (state & 15);
      if (p.flagsEnd > p.flagsStart && /^(0x[0-9a-f]+|\d+)$/i.test(oldText)) {
        return l.slice(0, p.flagsStart) + String(flags) + l.slice(p.flagsEnd);
      }
      // no numeric flags column yet: insert one after the URI (priority 0 keeps the attrs column)
      const rest = l.slice(p.uriEnd).trim();
      return `${l.slice(0, p.uriEnd)} ${flags}${rest ? ` 0 ${rest}` : ''}`;
    });
    if (n > 0) this.save(out, eol);
    return n;
  }
}
