/** Small statistics and formatting helpers for the bench reports. */

/** The p-th percentile (0–100) by linear interpolation between closest ranks; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  if (s.length === 1) return s[0] ?? NaN;
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(s.length - 1, lo + 1);
  const a = s[lo] ?? NaN;
  return a + ((s[hi] ?? NaN) - a) * (rank - lo);
}

export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  return percentile(finite, 50);
}

/** A number with `digits` decimals, or "–" when not a number. */
export function fmt(v: number, digits = 0): string {
  if (!Number.isFinite(v)) return '–';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtMb(bytes: number): string {
  return Number.isFinite(bytes) && bytes > 0 ? `${fmt(bytes / (1024 * 1024), 1)} MB` : '–';
}

/** µs with a precision fitting its size. */
export function fmtUs(us: number): string {
  if (!Number.isFinite(us)) return '–';
  if (us >= 10_000) return `${fmt(us / 1000, 1)} ms`;
  if (us >= 1000) return `${fmt(us / 1000, 2)} ms`;
  return `${fmt(us, 0)} µs`;
}

export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN;
}
