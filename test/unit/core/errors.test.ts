/**
 * Every error class of dsd extends DsdError and so carries a code callers match on
 * (undici's UND_ERR_* model). Enumerated from the sources, so a new class that extends
 * plain Error fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DsdError } from '../../../src/core/errors';

// dist/test/unit/core → the repository, and its compiled sources
const repo = path.resolve(__dirname, '../../../..');
const srcDir = path.join(repo, 'src');
const distSrc = path.join(repo, 'dist', 'src');

function sources(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const CLASS = /\bclass (\w+)(?:<[^{]*?>)? extends (\w+)/g;
const BUILTIN = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'AggregateError']);

interface Decl {
  readonly file: string;
  readonly name: string;
  readonly parent: string;
}

function declarations(): Decl[] {
  const out: Decl[] = [];
  for (const file of sources(srcDir)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(CLASS)) out.push({ file, name: m[1] ?? '', parent: m[2] ?? '' });
  }
  return out;
}

test('every class that is an error extends DsdError (read from the sources)', () => {
  const decls = declarations();
  const byName = new Map<string, Decl[]>();
  for (const d of decls) byName.set(d.name, [...(byName.get(d.name) ?? []), d]);
  // the base a class reaches: 'DsdError', a built-in error, or null (not an error)
  const base = (name: string, seen = new Set<string>()): string | null => {
    if (name === 'DsdError' || BUILTIN.has(name)) return name;
    if (seen.has(name)) return null;
    seen.add(name);
    const found = (byName.get(name) ?? []).map((d) => base(d.parent, seen)).filter((b) => b !== null);
    return found.find((b) => b !== 'DsdError') ?? found[0] ?? null;
  };
  const errors = decls.filter((d) => d.name !== 'DsdError' && base(d.parent) !== null);
  assert.ok(errors.length >= 30, `found only ${errors.length} error classes: the scan is broken`);
  const plain = errors
    .filter((d) => base(d.parent) !== 'DsdError')
    .map((d) => `${path.relative(repo, d.file)}: ${d.name} extends ${d.parent}`);
  assert.deepEqual(plain, [], 'error classes that do not extend DsdError');
});

test('string codes are DSD_ERR_* constants', () => {
  const bad: string[] = [];
  for (const file of sources(srcDir)) {
    const text = fs.readFileSync(file, 'utf8');
    if (!/extends (DsdError|DsctlError)\b/.test(text)) continue;
    for (const m of text.matchAll(/\bsuper\(\s*'([^']*)'/g)) {
      if (!/^DSD_ERR_[A-Z0-9_]+$/.test(m[1] ?? '')) bad.push(`${path.relative(repo, file)}: ${m[1]}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('every exported error class is a DsdError at run time', () => {
  let checked = 0;
  const wrong: string[] = [];
  for (const file of sources(srcDir)) {
    if (!/^export (abstract )?class \w+/m.test(fs.readFileSync(file, 'utf8'))) continue;
    const js = path.join(distSrc, path.relative(srcDir, file)).replace(/\.ts$/, '.js');
    const mod = require(js) as Record<string, unknown>;
    for (const [name, v] of Object.entries(mod)) {
      if (typeof v !== 'function' || !(v.prototype instanceof Error)) continue;
      checked++;
      if (v !== DsdError && !(v.prototype instanceof DsdError)) wrong.push(`${path.relative(repo, file)}: ${name}`);
    }
  }
  assert.ok(checked >= 30, `only ${checked} exported error classes found`);
  assert.deepEqual(wrong, []);
});

test('a DsdError names itself after its class and keeps its code', () => {
  class SampleError extends DsdError {
    constructor() {
      super('DSD_ERR_SAMPLE', 'sample');
    }
  }
  const e = new SampleError();
  assert.equal(e.name, 'SampleError');
  assert.equal(e.code, 'DSD_ERR_SAMPLE');
  assert.ok(e instanceof Error);
});
