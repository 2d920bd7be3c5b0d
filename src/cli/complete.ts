// `dsctl __complete KIND [-s SOCKET] [GROUP]`: candidates for the shell completion scripts,
// one per line, asked of the running daemon. Quiet by design: when dsd is down or answers an
// error it prints nothing and exits 0, so a Tab press never shows an error.
import { dispatcherRows, type DispatcherListResult } from '../rpc-api/results';
import { callRpc } from './client';
import { resolveSocket } from './run-command';

const COMPLETE_KINDS = ['setids', 'uris', 'duids', 'methods'] as const;
type CompleteKind = (typeof COMPLETE_KINDS)[number];

const COMPLETE_TIMEOUT_MS = 1000;

function candidates(kind: CompleteKind, list: DispatcherListResult | null, group?: number): string[] {
  if (!list) return [];
  const rows = dispatcherRows(list).filter((r) => group === undefined || r.set === group);
  const out = new Set<string>();
  for (const { set, dest } of rows) {
    if (kind === 'setids') out.add(String(set));
    else if (kind === 'uris') out.add(dest.URI);
    else if (kind === 'duids' && dest.ATTRS?.DUID) out.add(dest.ATTRS.DUID);
  }
  return [...out];
}

export async function runComplete(args: readonly string[]): Promise<void> {
  const kind = args[0] as CompleteKind;
  if (!COMPLETE_KINDS.includes(kind)) return;
  let socket: string | undefined;
  let group: number | undefined;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if ((a === '-s' || a === '--socket') && i + 1 < args.length) socket = args[++i];
    else if (a.startsWith('--socket=')) socket = a.slice('--socket='.length);
    else if (/^\d+$/.test(a)) group = Number(a);
  }
  try {
    const path = resolveSocket(socket);
    let lines: string[];
    if (kind === 'methods') {
      const m = await callRpc(path, 'system.listMethods', undefined, COMPLETE_TIMEOUT_MS);
      lines = Array.isArray(m) ? m.map(String) : [];
    } else {
      const list = (await callRpc(path, 'dispatcher.list', undefined, COMPLETE_TIMEOUT_MS)) as DispatcherListResult;
      lines = candidates(kind, list, group);
    }
    if (lines.length) process.stdout.write(lines.join('\n') + '\n');
  } catch {
    /* daemon down or no sets: no candidates */
  }
}
