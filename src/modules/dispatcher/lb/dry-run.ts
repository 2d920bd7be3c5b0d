/**
 * dispatcher.reload --dry-run (and `dsd -c`): what a reload would change, with nothing
 * changed. The list is parsed line by line so that one broken line does not hide the
 * rest of the diff (the real reload refuses the whole file for it), built with the same
 * rules as a reload (DNS, sockets, ds_load_mode) on a private random source, and compared
 * with the running list.
 */
import { ListFileError, ListLoadError } from '../errors';
import { DsRecordInput, ListFileRecord, parseListFile } from '../list-file';
import { BuildContext, buildList } from '../list-builder';
import { DsList, Destination, sameUriCi } from '../model';
import { seededRng } from '../rng';
import type { AdminStateEntry } from '../admin-state';
import type { DrainEntry } from './drain';

interface DryRunDest {
  readonly set: number;
  readonly uri: string;
  readonly flags: number;
  readonly priority: number;
  readonly attrs: string | null;
  /** file:line, or db row N. */
  readonly origin: string | null;
}

interface DryRunChange {
  readonly set: number;
  readonly uri: string;
  readonly origin: string | null;
  /** field → [running, new]. */
  readonly fields: Record<string, [string | number | null, string | number | null]>;
}

export interface DryRunResult {
  /** True when the reload would be accepted. */
  readonly ok: boolean;
  /** Why it would be refused (file:line:col: …), when !ok. */
  readonly errors: string[];
  readonly warnings: string[];
  readonly added: DryRunDest[];
  readonly removed: DryRunDest[];
  readonly changed: DryRunChange[];
  readonly unchanged: number;
  /** Admin states and drains that would carry over / that would match nothing. */
  readonly carried: string[];
  readonly dropped: string[];
  readonly sets: number;
  readonly destinations: number;
}

/** A destination of the running set as the diff sees it (from the engine, or a daemon's dispatcher.list). */
export interface RunningDest {
  readonly setId: number;
  readonly uri: string;
  readonly priority: number;
  /** Configured/state bits (0 when unknown: flags are then not compared). */
  readonly flags: number;
  readonly attrs: string | null;
}

export function runningOf(list: DsList | null): RunningDest[] {
  const out: RunningDest[] = [];
  for (const s of list?.sets ?? [])
    for (const d of s.dests)
      out.push({ setId: d.setId, uri: d.uri, priority: d.priority, flags: d.flags, attrs: d.attrs.body });
  return out;
}

export type DryRunSource =
  | { readonly text: string; readonly fileName: string }
  | {
      readonly records: readonly DsRecordInput[];
      readonly warnings?: readonly string[];
      readonly errors?: readonly string[];
    };

/** Every line parsed on its own: records, warnings, and the hard errors Kamailio would refuse. */
function parseTolerant(
  text: string,
  fileName: string,
): { records: ListFileRecord[]; warnings: string[]; errors: string[] } {
  const records: ListFileRecord[] = [];
  const warnings: string[] = [];
  const errors: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const n = i + 1;
    try {
      const p = parseListFile(line, fileName);
      for (const w of p.warnings) warnings.push(`${fileName}:${n}:${w.col}: ${w.message}`);
      for (const r of p.records) records.push({ ...r, line: n, origin: `${fileName}:${n}` });
    } catch (e) {
      if (e instanceof ListFileError) errors.push(`${fileName}:${n}:${e.col}: ${e.reason}`);
      else throw e;
    }
  });
  return { records, warnings, errors };
}

function destOf(d: Destination): DryRunDest {
  return { set: d.setId, uri: d.uri, flags: d.flags, priority: d.priority, attrs: d.attrs.body, origin: null };
}

function runningDestOf(d: RunningDest): DryRunDest {
  return { set: d.setId, uri: d.uri, flags: d.flags, priority: d.priority, attrs: d.attrs, origin: null };
}

function describe(e: { setId: number; uri?: string; duid?: string }): string {
  return e.duid !== undefined ? `set ${e.setId} duid ${e.duid}` : `set ${e.setId} ${e.uri}`;
}

function matches(list: DsList, e: { setId: number; uri?: string; duid?: string }): boolean {
  const set = list.byId.get(e.setId);
  if (set === undefined) return false;
  if (e.duid !== undefined)
    return set.dests.some((d) => d.attrs.duid !== null && d.attrs.duid.toLowerCase() === e.duid!.toLowerCase());
  return set.dests.some((d) => sameUriCi(d.uri, e.uri ?? ''));
}

export async function dryRunReload(
  current: readonly RunningDest[],
  source: DryRunSource,
  ctx: BuildContext,
  admin: readonly AdminStateEntry[],
  drains: readonly DrainEntry[],
): Promise<DryRunResult> {
  let records: readonly DsRecordInput[];
  const warnings: string[] = [];
  const errors: string[] = [];
  if ('text' in source) {
    const p = parseTolerant(source.text, source.fileName);
    records = p.records;
    warnings.push(...p.warnings);
    errors.push(...p.errors);
  } else {
    records = source.records;
    warnings.push(...(source.warnings ?? []));
    errors.push(...(source.errors ?? []));
  }
  let built: DsList;
  try {
    const b = await buildList(records, { ...ctx, rng: seededRng(1) }, 0, null);
    warnings.push(...b.warnings);
    built = b.list;
  } catch (e) {
    if (!(e instanceof ListLoadError)) throw e;
    errors.push(e.message);
    const lenient = await buildList(
      records,
      { ...ctx, params: { ...ctx.params, ds_load_mode: 0 }, rng: seededRng(1) },
      0,
      null,
    );
    built = lenient.list;
  }
  // the built URI may have gained its sip: prefix; match the record it came from either way
  const originOf = (set: number, uri: string): string | null => {
    const r = records.find((x) => x.setId === set && (sameUriCi(x.uri, uri) || sameUriCi(`sip:${x.uri}`, uri)));
    return r?.origin ?? null;
  };
  const added: DryRunDest[] = [];
  const removed: DryRunDest[] = [];
  const changed: DryRunChange[] = [];
  let unchanged = 0;
  const old = new Map<string, RunningDest>();
  for (const d of current) old.set(`${d.setId}\u0000${d.uri.toLowerCase()}`, d);
  const seen = new Set<string>();
  let destinations = 0;
  for (const s of built.sets) {
    for (const d of s.dests) {
      destinations++;
      const k = `${d.setId}\u0000${d.uri.toLowerCase()}`;
      seen.add(k);
      const o = old.get(k);
      if (o === undefined) {
        added.push({ ...destOf(d), origin: originOf(d.setId, d.uri) });
        continue;
      }
      const fields: DryRunChange['fields'] = {};
      // running flags carry runtime state bits; compare the configured ones through priority/attrs only
      if (o.priority !== d.priority) fields.priority = [o.priority, d.priority];
      if ((o.attrs ?? '') !== (d.attrs.body ?? '')) fields.attrs = [o.attrs, d.attrs.body];
      if (o.flags !== 0 && (o.flags & 31) !== (d.flags & 31) && (d.flags & 31) !== 0)
        fields.flags = [o.flags & 31, d.flags & 31];
      if (Object.keys(fields).length > 0)
        changed.push({ set: d.setId, uri: d.uri, origin: originOf(d.setId, d.uri), fields });
      else unchanged++;
    }
  }
  for (const [k, d] of old) if (!seen.has(k)) removed.push(runningDestOf(d));
  const carried: string[] = [];
  const dropped: string[] = [];
  for (const e of admin) (matches(built, e) ? carried : dropped).push(`state ${e.state} on ${describe(e)}`);
  for (const e of drains) (matches(built, e) ? carried : dropped).push(`drain on ${describe(e)}`);
  return {
    ok: errors.length === 0,
    errors,
    warnings,
    added,
    removed,
    changed,
    unchanged,
    carried,
    dropped,
    sets: built.sets.length,
    destinations,
  };
}
