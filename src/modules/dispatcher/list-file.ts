/**
 * dispatcher.list parsing, byte-compatible with Kamailio's ds_load_list():
 *
 *   setid(decimal) uri [flags(decimal) [priority(decimal) [attrs]]]
 *
 * Quirks kept on purpose (files must mean what they mean to Kamailio): leading white space
 * is skipped; an empty line or one starting with `#` is a comment; a missing setid reads
 * as set 0; the uri ends at white space or `#`; a `#` after the uri, flags or priority
 * ends the line; a non-numeric flags/priority token reads as 0 and the token then becomes
 * the attrs; the attrs token ends only at white space (a `#` inside is kept) and anything
 * after it is ignored (no description column).
 *
 * Hard errors reject the whole file with its location: a line holding only a set id
 * (Kamailio's "bad line", which also fails its load) and a line longer than 1023 chars
 * (Kamailio's fgets() would silently split it into two records).
 */

import { ListFileError } from './errors';

const MAX_LINE_CHARS = 1023;

/** One destination row, from a file line or a DB row, before it is resolved. */
export interface DsRecordInput {
  readonly setId: number;
  readonly uri: string;
  readonly flags: number;
  readonly priority: number;
  /** Attribute text, or null when absent. */
  readonly attrs: string | null;
  /** Where it came from, for messages: "file:line" or "db row N". */
  readonly origin: string;
}

export interface ListFileRecord extends DsRecordInput {
  readonly line: number;
}

interface ListFileWarning {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export interface ListFileParse {
  readonly records: ListFileRecord[];
  readonly warnings: ListFileWarning[];
}

function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Parses the whole text; throws ListFileError on a hard error. */
export function parseListFile(text: string, fileName: string): ListFileParse {
  const records: ListFileRecord[] = [];
  const warnings: ListFileWarning[] = [];
  let lineNo = 0;
  let start = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    lineNo++;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line.length > MAX_LINE_CHARS) {
      throw new ListFileError(
        fileName,
        lineNo,
        MAX_LINE_CHARS + 1,
        `line is ${line.length} characters long; the limit is ${MAX_LINE_CHARS}`,
      );
    }
    const rec = parseLine(line, fileName, lineNo, warnings);
    if (rec !== null) records.push(rec);
  }
  return { records, warnings };
}

function parseLine(s: string, file: string, lineNo: number, warnings: ListFileWarning[]): ListFileRecord | null {
  const len = s.length;
  let p = 0;
  const warn = (col: number, message: string): void => {
    warnings.push({ file, line: lineNo, col, message });
  };
  while (p < len && isWs(s.charCodeAt(p))) p++;
  if (p >= len || s.charCodeAt(p) === 35) return null;

  const idStart = p;
  let id = 0;
  while (p < len && isDigit(s.charCodeAt(p))) {
    id = (id * 10 + (s.charCodeAt(p) - 48)) | 0;
    p++;
  }
  if (p === idStart) warn(idStart + 1, 'line does not start with a set id; it is read as set 0');

  while (p < len && isWs(s.charCodeAt(p))) p++;
  if (p >= len || s.charCodeAt(p) === 35) {
    throw new ListFileError(file, lineNo, p + 1, 'set id without a destination URI');
  }

  const uriStart = p;
  while (p < len) {
    const c = s.charCodeAt(p);
    if (isWs(c) || c === 35) break;
    p++;
  }
  const uri = s.slice(uriStart, p);
  while (p < len && isWs(s.charCodeAt(p))) p++;

  let flags = 0;
  let priority = 0;
  let attrs: string | null = null;
  const done = (): ListFileRecord => ({
    setId: id,
    uri,
    flags,
    priority,
    attrs,
    line: lineNo,
    origin: `${file}:${lineNo}`,
  });
  if (p >= len || s.charCodeAt(p) === 35) return done();

  const flagsStart = p;
  while (p < len && isDigit(s.charCodeAt(p))) {
    flags = (flags * 10 + (s.charCodeAt(p) - 48)) | 0;
    p++;
  }
  noteNonDecimal(s, flagsStart, p, 'flags', warn);
  while (p < len && isWs(s.charCodeAt(p))) p++;
  if (p >= len || s.charCodeAt(p) === 35) return done();

  const prioStart = p;
  while (p < len && isDigit(s.charCodeAt(p))) {
    priority = (priority * 10 + (s.charCodeAt(p) - 48)) | 0;
    p++;
  }
  noteNonDecimal(s, prioStart, p, 'priority', warn);
  while (p < len && isWs(s.charCodeAt(p))) p++;
  if (p >= len || s.charCodeAt(p) === 35) return done();

  const attrsStart = p;
  while (p < len && !isWs(s.charCodeAt(p))) p++;
  attrs = s.slice(attrsStart, p);
  return done();
}

/** Warns when a numeric field stops at a non-space character (Kamailio reads it oddly). */
function noteNonDecimal(
  s: string,
  from: number,
  to: number,
  what: string,
  warn: (col: number, message: string) => void,
): void {
  // A wholly non-numeric token silently becomes the attrs (documented quirk); digits
  // followed by junk ("0x8", "5a") are almost certainly a mistake worth a warning.
  if (to > from && to < s.length && !isWs(s.charCodeAt(to)) && s.charCodeAt(to) !== 35) {
    let e = to;
    while (e < s.length && !isWs(s.charCodeAt(e))) e++;
    const tok = s.slice(from, e);
    warn(
      from + 1,
      `${what} "${tok}" is not a decimal number: Kamailio reads ${what} ` +
        `${s.slice(from, to)} and takes the rest as the next field`,
    );
  }
}
