/**
 * dsd's entry point: parse argv, load the config, start the proxy core and the control
 * socket, handle signals (SIGTERM/SIGINT drain then exit 0, SIGHUP reloads the
 * destination list) and the pid file.
 */
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs, UsageError, USAGE } from './args';
import { writePidFile, removePidFile } from './pidfile';
import { readLiteConfig, resolveRelative, ConfigError } from './config-lite';
import { createLogger } from '../core/log';
import { ProxyCore } from '../proxy/core';
import { TM_DEFAULTS, TmConfig } from '../transaction/config';
import { builtinRoute, Balancer } from './builtin-route';
import { DispatcherRuntime } from '../modules/dispatcher/runtime';
import { defaultParams, setParam } from '../modules/dispatcher/params';
import { defaultControlSocketPath, parseCtlAddress } from '../rpc-api/socket-path';
import { VERSION } from '../core/version';

const ROOT = path.resolve(__dirname, '..', '..', '..');
export const DEFAULT_CFG = path.join(ROOT, 'etc', 'dsd.cfg');

function tmConfig(params: Map<string, string | number> | undefined): TmConfig {
  const tm = { ...TM_DEFAULTS };
  const num = (k: string): number | undefined => {
    const v = params?.get(k);
    return typeof v === 'number' ? v : undefined;
  };
  tm.frTimer = num('fr_timer') ?? tm.frTimer;
  tm.frInvTimer = num('fr_inv_timer') ?? tm.frInvTimer;
  tm.t1 = num('retr_timer1') ?? tm.t1;
  tm.t2 = num('retr_timer2') ?? tm.t2;
  tm.wtTimer = num('wt_timer') ?? tm.wtTimer;
  return tm;
}

export async function main(argv: string[]): Promise<void> {
  let args;
  try {
    args = parseArgs(argv, DEFAULT_CFG);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`dsd: ${e.message}\n${USAGE}\n`);
      process.exit(2);
    }
    throw e;
  }
  if (args.help) { process.stdout.write(`${USAGE}\n`); return; }
  if (args.version) {
    process.stdout.write(`version: dsd ${VERSION} (${os.arch()}/${os.platform()})\n`);
    return;
  }
  let cfg;
  try {
    cfg = readLiteConfig(args.cfgFile);
  } catch (e) {
    const msg = e instanceof ConfigError ? e.message : `${args.cfgFile}: ${(e as Error).message}`;
    process.stderr.write(`${msg}\n`);
    process.exit(1);
  }
  if (args.checkOnly) {
    process.stderr.write(`config file ok, exiting...\n`);
    return;
  }
  const log = createLogger({ debug: cfg.debug + args.debugBump, fd: args.logStderr || cfg.logStderr ? 2 : 1 });
  const ctlParam = cfg.modparams.get('ctl')?.get('binrpc');
  const ctlPath = ctlParam !== undefined ? parseCtlAddress(String(ctlParam)) : defaultControlSocketPath();
  const dsParams = defaultParams();
  let stateFile = path.join(path.dirname(ctlPath), 'dsd-admin-state.json');
  for (const [name, value] of cfg.modparams.get('dispatcher') ?? []) {
    if (name === 'ds_admin_state_file') { stateFile = resolveRelative(args.cfgFile, String(value)); continue; }
    try {
      setParam(dsParams, name, name === 'list_file' ? resolveRelative(args.cfgFile, String(value)) : value);
    } catch (e) {
      process.stderr.write(`${args.cfgFile}: modparam("dispatcher", "${name}"): ${(e as Error).message}\n`);
      process.exit(1);
    }
  }
  if (!cfg.modparams.get('dispatcher')?.has('list_file')) {
    setParam(dsParams, 'list_file', resolveRelative(args.cfgFile, 'dispatcher.list'));
  }
  const core: ProxyCore = new ProxyCore({
    listen: cfg.listen,
    tm: tmConfig(cfg.modparams.get('tm')),
    log,
    serverHeader: `dsd (${VERSION} (${os.arch()}/${os.platform()}))`,
    aliases: cfg.aliases,
  }, { request() {}, failure() {} });
  try {
    await core.start();
  } catch (e) {
    log.error(`cannot listen: ${(e as Error).message}`);
    process.stderr.write(`dsd: cannot listen: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const dispatcher = new DispatcherRuntime({ core, params: dsParams, log, stateFile });
  try {
    await dispatcher.start();
  } catch (e) {
    process.stderr.write(`dsd: ${(e as Error).message}\n`);
    await core.stop();
    process.exit(1);
  }
  const balancer: Balancer = {
    selectDst: (ctx, set, alg) => dispatcher.select(ctx, set, alg, 'dst'),
    nextDst: (ctx) => dispatcher.next(ctx, 'dst', true),
  };
  core.hooks = builtinRoute(core, balancer);
  if (args.pidFile) writePidFile(args.pidFile);
  log.info(`dsd ${VERSION} started, listening on ${core.transport.sockets.map((s) => s.text).join(' ')}`);

  let stopping = false;
  const stop = async (sig: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`${sig}: no new transactions, waiting for ${core.active.size} in flight`);
    await core.drain(10_000);
    dispatcher.stop();
    await core.stop();
    if (args.pidFile) removePidFile(args.pidFile);
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    dispatcher.reload().then(
      () => log.info(`SIGHUP: destination list ${dsParams.list_file} reloaded`),
      (e) => log.error(`SIGHUP: reload of ${dsParams.list_file} refused, running set kept: ${(e as Error).message}${(e as { detail?: string }).detail ? ` (${(e as { detail?: string }).detail})` : ''}`),
    );
  });
  void fs;
}
