/**
 * log_extra / db_extra: `name=$pv;name2=$pv2` (acc_extra.c parse_acc_extra): names are
 * the log keys or DB columns, values single pseudo-variables read when the record is made.
 */
import { AccError } from './errors';

export interface AccExtraSpec {
  readonly name: string;
  /** The pseudo-variable text, e.g. "$fU". */
  readonly pv: string;
}

export function parseExtra(text: string, param: string): AccExtraSpec[] {
  const out: AccExtraSpec[] = [];
  for (const raw of text.split(';')) {
    const part = raw.trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new AccError(`modparam("acc", "${param}"): "${part}" is not name=$pseudo-variable`);
    const name = part.slice(0, eq).trim();
    const pv = part.slice(eq + 1).trim();
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new AccError(`modparam("acc", "${param}"): bad name "${name}"`);
    if (!pv.startsWith('$')) throw new AccError(`modparam("acc", "${param}"): "${pv}" is not a pseudo-variable`);
    out.push({ name, pv });
  }
  return out;
}
