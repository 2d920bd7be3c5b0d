// The readable form of a dry-run reload (dispatcher.reload --dry-run in dsctl, and
// `dsd -c`): `+` added, `-` removed, `~` changed lines with file:line, then what carries
// over, warnings, errors and the verdict. Shared by the daemon and dsctl.

interface DryRunDestText {
  set: number;
  uri: string;
  flags: number;
  priority: number;
  attrs: string | null;
  origin: string | null;
}

export interface DryRunText {
  ok: boolean;
  errors: string[];
  warnings: string[];
  added: DryRunDestText[];
  removed: DryRunDestText[];
  changed: Array<{ set: number; uri: string; origin: string | null; fields: Record<string, [unknown, unknown]> }>;
  unchanged: number;
  carried: string[];
  dropped: string[];
  sets: number;
  destinations: number;
}

export function isDryRun(r: unknown): r is DryRunText {
  return typeof r === 'object' && r !== null && 'added' in r && 'removed' in r && 'changed' in r;
}

const fmt = (v: unknown): string => (v === null || v === undefined ? '-' : String(v));

export function renderDryRun(r: DryRunText): string {
  const out: string[] = [];
  const at = (o: string | null): string => (o ? `  (${o})` : '');
  for (const d of r.added)
    out.push(`+ ${d.set} ${d.uri} ${d.flags} ${d.priority}${d.attrs ? ' ' + d.attrs : ''}${at(d.origin)}`);
  for (const d of r.removed) out.push(`- ${d.set} ${d.uri} ${d.priority}${d.attrs ? ' ' + d.attrs : ''}`);
  for (const c of r.changed) {
    const f = Object.entries(c.fields)
      .map(([k, [a, b]]) => `${k} ${fmt(a)} -> ${fmt(b)}`)
      .join(', ');
    out.push(`~ ${c.set} ${c.uri}: ${f}${at(c.origin)}`);
  }
  out.push(
    `${r.added.length} added, ${r.removed.length} removed, ${r.changed.length} changed, ${r.unchanged} unchanged` +
      ` (${r.sets} sets, ${r.destinations} destinations after the reload)`,
  );
  for (const c of r.carried) out.push(`kept: ${c}`);
  for (const c of r.dropped) out.push(`matches nothing (kept for later): ${c}`);
  for (const w of r.warnings) out.push(`warning: ${w}`);
  for (const e of r.errors) out.push(`error: ${e}`);
  out.push(r.ok ? 'the reload would be accepted' : 'the reload would be REFUSED; the running set would stay');
  return out.join('\n') + '\n';
}
