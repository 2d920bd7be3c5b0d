/**
 * `dsd -c` beyond the script: the destinations the daemon would load — the list file
 * (syntax, with file:line:col) or the database rows — each URI and attribute string
 * checked as the loader checks them, without resolving names or opening sockets. Bad
 * lines are warnings (the loader skips them) unless ds_load_mode=1 makes one fatal; a
 * source with no usable destination is an error (a reload would refuse it).
 */
import fs from 'node:fs';
import type { DaemonConfig } from './config';
import { parseListFile, type DsRecordInput } from '../modules/dispatcher/list-file';
import { parseDestinationUri } from '../modules/dispatcher/destination-uri';
import { parseAttrs } from '../modules/dispatcher/attrs';
import { DbListSource } from '../modules/dispatcher/db/list-source';
import { parseDbUrl } from '../db/url';
import { tableConfigFromParams } from '../modules/dispatcher/db/table-config';

export interface ListCheck {
  readonly errors: string[];
  readonly warnings: string[];
  /** Where the destinations come from, for the summary line. */
  readonly source: string;
  readonly usable: number;
}

async function readRecords(
  cfg: DaemonConfig,
  warnings: string[],
  errors: string[],
): Promise<{ records: readonly DsRecordInput[]; source: string } | null> {
  const ds = cfg.ds;
  if (ds.db_url) {
    let url;
    try {
      url = parseDbUrl(ds.db_url);
    } catch (e) {
      errors.push(`db_url: ${(e as Error).message}`);
      return null;
    }
    const table = tableConfigFromParams(ds, url.masked);
    const source = `${url.masked} table ${table.table}`;
    if (url.kind === 'sqlite' && !fs.existsSync(url.database)) {
      warnings.push(
        `${source}: ${url.database} does not exist yet (dsd creates the schema at start; the list is empty)`,
      );
      return { records: [], source };
    }
    const log = {
      info() {},
      warn: (m: string) => warnings.push(m.replace(/^dispatcher: /, '')),
      error: (m: string) => errors.push(m),
    };
    try {
      return {
        records: (await new DbListSource({ url, table, loadMode: ds.ds_load_mode, log }).load()).records,
        source,
      };
    } catch (e) {
      errors.push(`${source}: ${(e as Error).message}`);
      return null;
    }
  }
  const file = ds.list_file;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    errors.push(`${file}: cannot read the list file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return null;
  }
  let parsed;
  try {
    parsed = parseListFile(text, file);
  } catch (e) {
    // a line the parser cannot read at all (file:line:col in the message)
    errors.push((e as Error).message);
    return null;
  }
  const msgs = parsed.warnings.map((w) => `${w.file}:${w.line}:${w.col}: ${w.message}`);
  (ds.ds_load_mode === 1 ? errors : warnings).push(...msgs);
  return { records: parsed.records, source: file };
}

export async function checkListLines(cfg: DaemonConfig): Promise<ListCheck> {
  const errors: string[] = [];
  const warnings: string[] = [];
  const r = await readRecords(cfg, warnings, errors);
  if (r === null) return { errors, warnings, source: cfg.ds.db_url ? 'db_url' : cfg.ds.list_file, usable: 0 };
  const bad = cfg.ds.ds_load_mode === 1 ? errors : warnings;
  let usable = 0;
  for (const rec of r.records) {
    const uri = parseDestinationUri(rec.uri);
    if ('error' in uri) {
      bad.push(`${rec.origin}: destination ${rec.uri}: ${uri.error}`);
      continue;
    }
    const attrs = parseAttrs(rec.attrs, cfg.ds.ds_attrs_none !== 0);
    if (!attrs.ok) {
      bad.push(`${rec.origin}: attributes of ${rec.uri}: ${attrs.reason}`);
      continue;
    }
    usable++;
  }
  if (
    usable === 0 &&
    cfg.ds.ds_reload_allow_empty === 0 &&
    !(cfg.ds.db_url && r.records.length === 0 && warnings.some((w) => w.includes('does not exist yet')))
  ) {
    errors.push(
      `${r.source}: no usable destination (${r.records.length === 0 ? 'the list is empty' : 'every line is bad'}); dsd would start with no sets and refuse it on reload`,
    );
  }
  return { errors, warnings, source: r.source, usable };
}
