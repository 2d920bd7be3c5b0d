/**
 * Where start-up time goes, for the "ready for traffic" line: milliseconds since the
 * process began (performance.now() counts from there) at each step, so an operator and
 * the benchmark see node's own boot and module loading apart from dsd's work.
 */
const marks: Array<{ name: string; at: number }> = [];

export function mark(name: string): void {
  marks.push({ name, at: performance.now() });
}

/** `{ modules: 310, config: 355, … }`: ms since the process began, per step. */
export function startupMarks(): Record<string, number> {
  return Object.fromEntries(marks.map((m) => [m.name, Math.round(m.at)]));
}

/**
 * What bin/dsd loaded: the one-file bundle (and whether V8 took its code cache) or tsc's
 * tree of files (bin/dsd says so through a global, set before it calls main()).
 */
export function loadedFrom(): { from: string; codeCache: string } {
  const l = (globalThis as Record<symbol, unknown>)[Symbol.for('dsd.loaded')] as
    { from: string; codeCache: string } | undefined;
  return l ?? { from: 'dist/src', codeCache: 'none' };
}
