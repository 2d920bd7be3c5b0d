/** `dsd db init` for acc: Kamailio's accounting tables on acc's db_url. */
import { withDb } from '../../db/open';
import { parseDbUrl } from '../../db/url';
import type { AccParams } from './params';
import { initAccSchema } from './schema';

export async function accDbInit(
  p: AccParams,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  try {
    const url = parseDbUrl(p.dbUrl!);
    const r = await withDb(url, (db) => initAccSchema(db, p));
    for (const c of r.created) out(`created ${c}`);
    for (const e of r.existed) out(`exists  ${e} (unchanged)`);
    out(
      r.created.length === 0
        ? `${url.masked}: accounting schema already in place, nothing changed`
        : `${url.masked}: accounting schema ready`,
    );
    return 0;
  } catch (e) {
    err(`dsd db init: acc: ${(e as Error).message}`);
    return 1;
  }
}
