/**
 * One process of `bench/inproc.ts`: builds the engine of a dsd checkout (its dist/, given as
 * the first argument) on a cfg, then runs the start-up warm-up's synthetic calls (INVITE,
 * 180, 200, ACK, BYE, 200 through the real core and compiled script, on an in-memory
 * transport) round after round, and prints the process CPU per call of each round as one
 * JSON line. No socket, no sipp: what is left is dsd's JavaScript (plus the driver's own
 * parse and reply building, the same for every build), GC and JIT threads included.
 * Modules are loaded from the checkout at run time so two builds can be compared.
 */
import path from 'node:path';
import type { DaemonArgs } from '../../src/daemon/args';
import type { DaemonConfig } from '../../src/daemon/config';
import type { Services } from '../../src/modules/services';
import type { Logger } from '../../src/core/log';
import type { buildEngine as BuildEngine } from '../../src/daemon/engine';
import type { warmUp as WarmUp } from '../../src/daemon/warmup';
import type { scriptHooks as ScriptHooks } from '../../src/daemon/script-hooks';
import type { createRegistry as CreateRegistry } from '../../src/script';
import type { RequestContext } from '../../src/proxy/context';

interface Modules {
  parseArgs(argv: string[], def: string): DaemonArgs;
  loadDaemonConfig: typeof import('../../src/daemon/config').loadDaemonConfig;
  createRegistry: typeof CreateRegistry;
  registerModules: typeof import('../../src/daemon/modules').registerModules;
  createScriptHost: typeof import('../../src/daemon/script-host').createScriptHost;
  createLogger: typeof import('../../src/core/log').createLogger;
  buildEngine: typeof BuildEngine;
  warmUp: typeof WarmUp;
  scriptHooks: typeof ScriptHooks;
}

function load(root: string): Modules {
  const req = (p: string): Record<string, unknown> =>
    require(path.join(root, 'dist', 'src', p)) as Record<string, unknown>;
  return {
    ...(req('daemon/args') as Pick<Modules, 'parseArgs'>),
    ...(req('daemon/config') as Pick<Modules, 'loadDaemonConfig'>),
    ...(req('script') as Pick<Modules, 'createRegistry'>),
    ...(req('daemon/modules') as Pick<Modules, 'registerModules'>),
    ...(req('daemon/script-host') as Pick<Modules, 'createScriptHost'>),
    ...(req('core/log') as Pick<Modules, 'createLogger'>),
    ...(req('daemon/engine') as Pick<Modules, 'buildEngine'>),
    ...(req('daemon/warmup') as Pick<Modules, 'warmUp'>),
    ...(req('daemon/script-hooks') as Pick<Modules, 'scriptHooks'>),
  };
}

async function main(): Promise<void> {
  const [root, cfgFile, roundsText, budgetText] = process.argv.slice(2);
  if (!root || !cfgFile) throw new Error('usage: inproc-child ROOT CFG [ROUNDS] [BUDGET_MS]');
  const rounds = Number(roundsText ?? 8);
  const budgetMs = Number(budgetText ?? 2000);
  const m = load(path.resolve(root));
  const args = m.parseArgs(['-f', cfgFile, '-E'], cfgFile);
  const log: Logger = m.createLogger({ debug: 1, target: { kind: 'fd', fd: 2, format: 'json' } });
  const svc: Services = { core: null, dispatcher: null, log };
  const registry = m.createRegistry<RequestContext>();
  m.registerModules(registry, svc);
  const host = m.createScriptHost(svc, () => log.getDebug());
  const cfg: DaemonConfig = await m.loadDaemonConfig(cfgFile, registry, host, {});
  const die = (msg: string): never => {
    throw new Error(msg);
  };
  const e = await m.buildEngine({ args, cfg, svc, log, role: null, die });
  for (let i = 0; i < rounds; i++) {
    const c0 = process.cpuUsage();
    const r = await m.warmUp({
      svc,
      log,
      transport: e.transport,
      coreOptions: e.coreOptions,
      hooks: (l) => m.scriptHooks(cfg.compiled.script, l),
      dispatcher: e.dispatcher,
      acc: null,
      // TCP callers too, as the daemon's own warm-up; no WebSocket (etc/dsd.cfg has none)
      websocket: false,
      budgetMs,
    });
    const c = process.cpuUsage(c0);
    const calls = Math.max(1, r.calls);
    process.stdout.write(
      `${JSON.stringify({
        round: i,
        calls: r.calls,
        completed: r.completed,
        errors: r.errors,
        firstError: r.firstError,
        cpuUsPerCall: (c.user + c.system) / calls,
        userUsPerCall: c.user / calls,
        wallUsPerCall: (r.ms * 1000) / calls,
        // kB on Linux: the process's peak resident set so far
        maxRssKb: process.resourceUsage().maxRSS,
      })}\n`,
    );
  }
  e.dispatcher.stop();
  await e.dsDb?.close();
  await e.core.stop();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`inproc-child: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
