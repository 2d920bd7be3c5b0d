/**
 * The admin-state file: destinations put in a state by `dispatcher.set_state` /
 * `set_duid_state` keep it across reloads and restarts (Kamailio forgets them). The file
 * sits next to the control socket (`<ctl dir>/dsd-admin-state.json`) and holds
 *
 *   {"version":1,"states":[{"setId":2,"uri":"sip:10.0.0.7:5060","state":"ip","at":…}]}
 *
 * one entry per destination (by URI, or `duid` for set_duid_state), plus `"drains":[…]`
 * for `dispatcher.drain --persist` (dsd extension). It is written durably (temp file,
 * fsync, rename, fsync of the directory); a missing file means no admin states, a damaged
 * one is refused with its path (dsd does not start on half of the admin states).
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileDurable } from '../../core/durable-file';
import type { Logger } from '../../core/log';
import type { AdminStateEntry } from './admin-state';
import type { DrainEntry } from './lb/drain';
import { DsdError } from '../../core/errors';

class AdminStateFileError extends DsdError {
  constructor(
    readonly file: string,
    why: string,
  ) {
    super(
      'DSD_ERR_ADMIN_STATE_FILE',
      `admin state file ${file} is damaged: ${why}; fix or remove it (dsd will not start on half of the admin states)`,
    );
  }
}

export class AdminStateFile {
  constructor(
    readonly file: string,
    private readonly log: Logger,
  ) {}

  /** The saved states; throws AdminStateFileError when the file exists and is not whole. */
  load(): AdminStateEntry[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new AdminStateFileError(this.file, (e as Error).message);
    }
    let doc: { version?: number; states?: AdminStateEntry[] };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch (e) {
      throw new AdminStateFileError(this.file, `not valid JSON (${(e as Error).message})`);
    }
    if (doc === null || typeof doc !== 'object' || doc.version !== 1 || !Array.isArray(doc.states)) {
      throw new AdminStateFileError(this.file, 'not a version 1 state file');
    }
    return doc.states.filter(
      (e) =>
        typeof e.setId === 'number' &&
        typeof e.state === 'string' &&
        (typeof e.uri === 'string' || typeof e.duid === 'string'),
    );
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
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const doc = drains.length > 0 ? { version: 1, states, drains } : { version: 1, states };
      writeFileDurable(this.file, JSON.stringify(doc, null, 1) + '\n', 0o640);
    } catch (e) {
      this.log.error(`cannot write admin state file ${this.file}: ${(e as Error).message}`);
    }
  }
}
