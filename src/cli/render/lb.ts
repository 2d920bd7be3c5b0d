// Readable reports for dispatcher.explain and dispatcher.reload --dry-run (dsd extensions;
// --json gives the raw structs for scripts).

interface ExplainDest {
  index: number;
  uri: string;
  flags: string;
  priority: number;
  weight: number;
  skipped: string[];
  ramp: number;
  activeDialogs: number;
}
interface Explain {
  set: number;
  alg: number;
  algName: string;
  ok: boolean;
  code: number;
  selected: string | null;
  order: string[];
  branches: string[];
  hash: { input: string; value: number; slot: number } | null;
  request: { method: string; ruri: string; from: string | null; to: string | null; callid: string | null };
  destinations: ExplainDest[];
  messages: string[];
}

export function isExplain(r: unknown): r is Explain {
  return typeof r === 'object' && r !== null && 'algName' in r && 'destinations' in r;
}

export function renderExplain(r: Explain): string {
  const out: string[] = [];
  out.push(`set ${r.set}, algorithm ${r.alg} (${r.algName})`);
  const q = r.request;
  out.push(
    `request: ${q.method} ${q.ruri}${q.from ? ` from ${q.from}` : ''}${q.to ? ` to ${q.to}` : ''}${q.callid ? ` call-id ${q.callid}` : ''}`,
  );
  if (r.hash) out.push(`hash input: ${JSON.stringify(r.hash.input)}  value: ${r.hash.value}  slot: ${r.hash.slot}`);
  out.push(r.ok ? `selected: ${r.selected}` : `no destination selected (code ${r.code})`);
  if (r.order.length) out.push(`failover order: ${r.order.join(' ')}`);
  if (r.branches.length) out.push(`parallel branches: ${r.branches.join(' ')}`);
  out.push('destinations:');
  for (const d of r.destinations) {
    const notes = [...d.skipped];
    if (d.ramp < 1) notes.push(`slow start ${Math.round(d.ramp * 100)}%`);
    if (d.activeDialogs > 0) notes.push(`${d.activeDialogs} active dialog(s)`);
    const mark = d.uri === r.selected ? '*' : d.skipped.length ? '-' : ' ';
    out.push(
      `  ${mark} [${d.index}] ${d.uri} ${d.flags} prio ${d.priority}${d.weight ? ` weight ${d.weight}` : ''}` +
        (d.skipped.length ? `  skipped: ${notes.join(', ')}` : notes.length ? `  (${notes.join(', ')})` : ''),
    );
  }
  for (const m of r.messages) out.push(`note: ${m}`);
  return out.join('\n') + '\n';
}

export { isDryRun, renderDryRun } from '../../rpc-api/dry-run-text';
