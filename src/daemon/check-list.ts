/**
 * `dsd -c` on the destinations (dsd extension): after the configuration checks out, load
 * the destination list the way a start would (the list file, or the database table),
 * without binding anything, and print what it holds as a diff against the daemon running
 * on the configured control socket (or against nothing when none answers), with every
 * warning and error at file:line. Exit status 0: the list would load; 1: it would be
 * refused. Nothing changes anywhere.
 */
import net from 'node:net';
import { promises as dns } from 'node:dns';
import { Dispatcher } from '../modules/dispatcher/engine';
import type { ReloadSource } from '../modules/dispatcher/list-manager';
import type { RunningDest } from '../modules/dispatcher/lb/dry-run';
import { renderDryRun } from '../rpc-api/dry-run-text';
import { DispatcherDb } from './db-glue';
import type { DaemonConfig } from './config';
import type { Logger } from '../core/log';
import { VERSION } from '../core/version';

const RPC_TIMEOUT_MS = 2000;

/** dispatcher.list of the running daemon as RunningDest rows, or null when none answers. */
function runningList(ctlPath: string): Promise<RunningDest[] | null> {
  return new Promise((resolve) => {
    const sock = net.connect(ctlPath);
    let buf = '';
    const done = (v: RunningDest[] | null): void => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(RPC_TIMEOUT_MS, () => done(null));
    sock.on('error', () => done(null));
    sock.on('connect', () =>
      sock.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'dispatcher.list', params: [] }) + '\n'),
    );
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      try {
        const r = JSON.parse(buf.slice(0, nl)) as {
          result?: { RECORDS?: Array<{ SET: { ID: number; TARGETS: Array<{ DEST: Record<string, unknown> }> } }> };
          error?: { message: string };
        };
        if (r.error) {
          done(r.error.message === 'No Destination Sets' ? [] : null);
          return;
        }
        const out: RunningDest[] = [];
        for (const rec of r.result?.RECORDS ?? []) {
          for (const t of rec.SET.TARGETS) {
            const d = t.DEST;
            out.push({
              setId: rec.SET.ID,
              uri: String(d.URI),
              priority: Number(d.PRIORITY),
              flags: 0,
              attrs: (d.ATTRS as { BODY?: string } | undefined)?.BODY ?? null,
            });
          }
        }
        done(out);
      } catch {
        done(null);
      }
    });
  });
}

async function resolveHost(host: string): Promise<string | null> {
  try {
    return (await dns.lookup(host)).address;
  } catch {
    return null;
  }
}

export async function checkDestinations(cfg: DaemonConfig, log: Logger, out: (l: string) => void): Promise<number> {
  const ds = new Dispatcher({ params: { ...cfg.ds }, resolver: { resolveHost } });
  let source: ReloadSource | undefined;
  let dsDb: DispatcherDb | null = null;
  try {
    dsDb = await DispatcherDb.create({
      ds: cfg.ds,
      db: cfg.db,
      cluster: cfg.cluster,
      loadedModules: cfg.loadedModules,
      log,
      version: `dsd ${VERSION}`,
      address: '',
    });
    if (dsDb) source = await dsDb.listSource.dryRun();
  } catch (e) {
    out(`error: ${(e as Error).message}`);
    return 1;
  } finally {
    await dsDb?.close();
  }
  const running = await runningList(cfg.ctlPath);
  out(
    running === null
      ? `dispatcher: no daemon answers on ${cfg.ctlPath}; every destination is shown as added`
      : `dispatcher: compared with the daemon on ${cfg.ctlPath}`,
  );
  const r = await ds.reloadDryRun(source, running ?? []);
  out(renderDryRun(r).trimEnd());
  return r.ok ? 0 : 1;
}
