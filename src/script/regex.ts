// POSIX extended regular expressions (what Kamailio's regcomp() takes) as JS RegExp.
// Kamailio compiles script regexes with REG_EXTENDED|REG_ICASE, so they are
// case-insensitive; the bracket classes [[:digit:]] etc. are translated.
import { DsdError } from '../core/errors';

const CLASSES: Record<string, string> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: '0-9A-Za-z',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\r\\n\\v\\f',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  cntrl: '\\x00-\\x1f\\x7f',
  print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e',
  word: '0-9A-Za-z_',
};

export class RegexError extends DsdError {
  constructor(message: string) {
    super('DSD_ERR_REGEX', message);
  }
}

function translate(src: string): string {
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\' && i + 1 < src.length) {
      out += c + src[++i];
      continue;
    }
    if (c !== '[') {
      out += c;
      continue;
    }
    // bracket expression: copy, translating [:class:] and escaping a literal backslash
    let j = i + 1;
    let body = '';
    if (src[j] === '^') {
      body += '^';
      j++;
    }
    if (src[j] === ']') {
      body += '\\]';
      j++;
    }
    let closed = false;
    while (j < src.length) {
      const d = src[j];
      if (d === ']') {
        closed = true;
        break;
      }
      if (d === '[' && src[j + 1] === ':') {
        const end = src.indexOf(':]', j + 2);
        if (end < 0) throw new RegexError(`unterminated character class in /${src}/`);
        const name = src.slice(j + 2, end);
        const cls = CLASSES[name];
        if (cls === undefined) throw new RegexError(`unknown character class [:${name}:]`);
        body += cls;
        j = end + 2;
        continue;
      }
      body += d === '\\' ? '\\\\' : d;
      j++;
    }
    if (!closed) throw new RegexError(`unterminated bracket expression in /${src}/`);
    out += '[' + body + ']';
    i = j;
  }
  return out;
}

/** Compile a POSIX ERE; case-insensitive unless told otherwise. Throws RegexError. */
export function compilePosixRegex(src: string, icase = true): RegExp {
  try {
    return new RegExp(translate(src), icase ? 'i' : '');
  } catch (e) {
    if (e instanceof RegexError) throw e;
    throw new RegexError(`invalid regular expression /${src}/: ${(e as Error).message}`);
  }
}

/** Small cache for regexes built from run-time strings. */
export class RegexCache {
  private readonly map = new Map<string, RegExp | null>();

  get(src: string): RegExp | null {
    let re = this.map.get(src);
    if (re !== undefined) return re;
    try {
      re = compilePosixRegex(src);
    } catch {
      re = null;
    }
    if (this.map.size > 256) this.map.clear();
    this.map.set(src, re);
    return re;
  }
}
