/**
 * The admin-state file: destinations put in a state by `dispatcher.set_state` /
 * `set_duid_state` keep it across reloads and restarts (Kamailio forgets them). The file
 * sits next to the control socket (`<ctl dir>/dsd-admin-state.json`) and holds
 *
 *   {"version":1,"states":[{"setId":2,"uri":"sip:10.0.0.7:5060","state":"ip","at":…}]}
 *
 * one entry per destination (by URI, or `duid` for set_duid_state), plus `"drains":[…]`
 * for `dispatcher.drain --persist` (dsd extension). It is written
 * atomically (temp file + rename); a missing file means no admin states, a broken one is
 * logged and ignored (the list still loads).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../core/log';
import type { AdminStateEntry } from './admin-state';
import type { DrainEntry } from './lb/drain';

export class AdminStateFile {
  constructor(readonly file: string, private readonly log: Logger) {}

  load(): AdminStateEntry[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    try {
      const doc = JSON.parse(text) as { version?: number; states?: AdminStateEntry[] };
      if (doc.version !== 1 || !Array.isArray(doc.states)) throw new Error('not a version 1 state file');
      return doc.states.filter((e) => typeof e.setId === 'number' && typeof e.state === 'string' &&
        (typeof e.uri === 'string' || typeof e.duid === 'string'));
    } catch (e) {
      this.log.error(`admin state file ${this.file} ignored: ${(e as Error).message}`);
      return [];
    }
  }

  /** Drains saved with --persist ([] when none or the file is unreadable). */
  loadDrains(): unknown[] {
    try {
      const doc = JSON.parse(fs.readFileSync(this.file, 'utf8')) as { drains?: unknown };
      return Array.isArray(doc.drains) ? doc.drains : [];
    } catch {
      return [];
    }
  }

  save(states: readonly AdminStateEntry[], drains: readonly DrainEntry[] = []): void {
    const tmp = path.join(path.dirname(this.file), `.${path.basename(this.file)}.${process.pid}.tmp`);
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.writeFileSync(tmp, JSON.stringify(drains.length > 0 ? { version: 1, states, drains } : { version: 1, states }, null, 1) + '\n', { mode: 0o640 });
      fs.renameSync(tmp, this.file);
    } catch (e) {
      this.log.error(`cannot write admin state file ${this.file}: ${(e as Error).message}`);
    }
  }
}
