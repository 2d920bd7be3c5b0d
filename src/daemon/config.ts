/**
 * Loads dsd.cfg through the cfg language engine and turns what the daemon needs into
 * typed settings: listen sockets, logging, tm timers, the control socket, the
 * dispatcher's parameters and the admin-state file.
 */
import path from 'node:path';
import { readTlsParams, type TlsModuleConfig } from '../modules/tls/params';
import { readWsParams, type WsModuleConfig } from '../modules/websocket/params';
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { compileConfig, CompiledConfig, ScriptHost } from '../script';
import type { Reg } from '../modules/services';
import type { RequestContext } from '../proxy/context';
import type { ListenSpec } from '../transport/types';
import type { ConnLimitConfig } from '../transport/conn-limits';
import type { AdmissionConfig } from '../proxy/admission';
import { tcpLimitsFrom } from './limits-config';
import { dnsOptionsFrom } from './dns-config';
import type { ResolverOptions } from '../dns/resolver';
import type { TmConfig } from '../transaction/config';
import type { DsParams } from '../modules/dispatcher/params';
import { DISPATCHER_PARAMS } from '../modules/dispatcher/modparams';
import { readParams, type ParamExport } from '../core/modparams';
import { defaultControlSocketPath } from '../rpc-api/socket-path';
import type { RrOptions } from '../proxy/forward';
import { HEALTH_PARAMS, HealthConfig } from '../metrics/params';
import { DB_PARAMS, DsdDbParams } from '../modules/dispatcher/db/params';
import { CTL_PARAMS, type CtlLimits, type CtlSocketAccess } from '../modules/ctl/params';
import { TM_PARAMS } from '../modules/tm/params';
import { RR_PARAMS } from '../modules/rr/params';
import type { BinrpcAddress } from '../control/binrpc/address';
import { CLUSTER_PARAMS, ClusterParams } from '../cluster/params';
import type { LoadedModule } from '../script/modules-load';
import { readAccParams, type AccParams } from '../modules/acc/params';
import { checkDbModule, parseDbUrl } from '../db/url';
import { DsdError } from '../core/errors';

export interface DaemonConfig {
  compiled: CompiledConfig<RequestContext>;
  listen: ListenSpec[];
  debug: number;
  logStderr: boolean;
  /** log_facility and log_name, for syslog. */
  logFacility: string;
  logName: string | null;
  aliases: string[];
  /** Whole header lines (Kamailio's server_header / user_agent_header), null when
   *  server_signature=no; null in the config means dsd's default. */
  serverHeader: string | null;
  /** acc's modparams when the cfg loads acc (extras checked against the script's variables). */
  acc: AccParams | null;
  userAgentHeader: string | null;
  serverSignature: boolean;
  tm: TmConfig;
  ctlPath: string;
  /** ctl's mode, user and group: the socket file's permissions and owner. */
  ctlAccess: CtlSocketAccess;
  /** ctl's idle_timeout / max_connections (dsd's own limits of the control socket). */
  ctlLimits: CtlLimits;
  /** ctl's further binrpc addresses (tcp:, udp:, unixd:, more unix paths): binrpc only. */
  ctlExtra: BinrpcAddress[];
  ds: DsParams;
  stateFile: string;
  /** dispatcher.add/remove/set_state write back to the list file by default. */
  persistDefault: boolean;
  /** Metrics endpoint and initial-state events (dsd's own dispatcher modparams). */
  health: HealthConfig;
  /** ds_db_start_empty (dsd's own). */
  db: DsdDbParams;
  /** ds_cluster* (dsd's own). */
  cluster: ClusterParams;
  /** Names of the loadmodule lines (db_url's driver module must be one of them). */
  loadedModules: string[];
  /** rr's enable_full_lr / append_fromtag. */
  rr: RrOptions;
  /** dispatcher.so is loaded (else no list is read and no ds_* exists). */
  dispatcherLoaded: boolean;
  /** enable_tls=yes with loadmodule "tls.so": the TLS settings; else null. */
  tls: TlsModuleConfig | null;
  /** loadmodule "xhttp.so": HTTP on the TCP/TLS listen sockets goes to event_route[xhttp:request]. */
  xhttp: boolean;
  /** loadmodule "websocket.so": its keepalive settings; else null. */
  websocket: WsModuleConfig | null;
  /** tcp_max_connections and the stream deadlines. */
  tcpLimits: ConnLimitConfig;
  /** The dns_* core settings for the one DNS resolver. */
  dns: Partial<ResolverOptions>;
  /** tm's max_transactions / max_transaction_bytes. */
  admission: AdmissionConfig;
}

export class StartupError extends DsdError {
  constructor(msg: string) {
    super('DSD_ERR_STARTUP', msg);
  }
}

async function listenSpecs(compiled: CompiledConfig<RequestContext>): Promise<ListenSpec[]> {
  const g = compiled.globals;
  const out: ListenSpec[] = [];
  const addrs = g.listen.length ? g.listen : [];
  for (const l of addrs) {
    let host = l.host;
    if (!isIP(host)) {
      try {
        host = (await dns.lookup(host)).address;
      } catch {
        throw new StartupError(`${l.pos.file}:${l.pos.line}:${l.pos.col}: listen: cannot resolve "${l.host}"`);
      }
    }
    const port = l.port ?? g.port ?? 5060;
    const protos: Array<'udp' | 'tcp' | 'tls'> =
      l.proto === 'any'
        ? g.disableTcp
          ? ['udp']
          : ['udp', 'tcp']
        : l.proto === 'udp' || l.proto === 'tcp' || l.proto === 'tls'
          ? [l.proto]
          : [];
    if (protos.length === 0) {
      throw new StartupError(
        `${l.pos.file}:${l.pos.line}:${l.pos.col}: listen: transport ${l.proto} is not supported by dsd (udp, tcp, tls)`,
      );
    }
    if (l.proto === 'tls' && !(g.enableTls && compiled.modules.has('tls'))) {
      throw new StartupError(
        `${l.pos.file}:${l.pos.line}:${l.pos.col}: listen=tls:… needs enable_tls=yes and loadmodule "tls.so"`,
      );
    }
    for (const proto of protos) {
      out.push({
        proto,
        host,
        port,
        name: l.name ?? undefined,
        advertise: l.advertise?.host ?? g.advertisedAddress ?? undefined,
        advertisePort: l.advertise?.port ?? g.advertisedPort ?? undefined,
      });
    }
  }
  if (out.length === 0) {
    out.push({ proto: 'udp', host: '127.0.0.1', port: g.port ?? 5060 });
    if (!g.disableTcp) out.push({ proto: 'tcp', host: '127.0.0.1', port: g.port ?? 5060 });
  }
  return out;
}

/**
 * One parameter table's settings from the module's modparam lines; a bad value stops the
 * start with the position of the line that set it.
 */
function readTable<T>(file: string, table: ParamExport<T>, mod: LoadedModule | undefined, dir: string): T {
  const params = mod?.params ?? [];
  try {
    return readParams(table, params, dir);
  } catch (e) {
    const name = (e as { param?: unknown }).param;
    const line = [...params].reverse().find((p) => p.name === name);
    const at = line ? `${line.pos.file}:${line.pos.line}:${line.pos.col}` : file;
    throw new StartupError(`${at}: ${(e as Error).message}`);
  }
}

/** acc's modparams, refused at start like acc's mod_init refuses them. */
function readAcc(file: string, compiled: CompiledConfig<RequestContext>, loaded: readonly string[]): AccParams | null {
  const m = compiled.modules.get('acc');
  if (!m) return null;
  try {
    const p = readAccParams(m);
    for (const e of [...p.logExtra, ...p.dbExtra]) compiled.compilePv(e.pv);
    if (p.dbUrl !== null) checkDbModule(parseDbUrl(p.dbUrl), loaded);
    return p;
  } catch (e) {
    throw new StartupError(`${file}: modparam("acc", …): ${(e as Error).message}`);
  }
}

export async function loadDaemonConfig(
  file: string,
  registry: Reg,
  host: ScriptHost<RequestContext>,
  defines: Record<string, string | true> = {},
): Promise<DaemonConfig> {
  const compiled = compileConfig(file, { registry, host, defines });
  const g = compiled.globals;
  const mod = (name: string) => compiled.modules.get(name);
  const { tm, admission } = readTable(file, TM_PARAMS, mod('tm'), compiled.dir);
  const ctl = readTable(file, CTL_PARAMS, mod('ctl'), compiled.dir);
  const ctlPath = ctl.main ?? defaultControlSocketPath();
  const dsMod = mod('dispatcher');
  const dispatcher = readTable(file, DISPATCHER_PARAMS, dsMod, compiled.dir);
  const health = readTable(file, HEALTH_PARAMS, dsMod, compiled.dir);
  const db = readTable(file, DB_PARAMS, dsMod, compiled.dir);
  const cluster = readTable(file, CLUSTER_PARAMS, dsMod, compiled.dir);
  // Named after the control socket, so two daemons whose sockets share a directory keep their own.
  const stateFile =
    dispatcher.stateFile ?? path.join(path.dirname(ctlPath), `${path.basename(ctlPath)}.admin-state.json`);
  const acc = readAcc(file, compiled, [...compiled.modules.keys()]);
  const rr = readTable(file, RR_PARAMS, mod('rr'), compiled.dir);
  return {
    compiled,
    rr,
    dispatcherLoaded: dsMod !== undefined,
    listen: await listenSpecs(compiled),
    debug: g.debug,
    logStderr: g.logStderror,
    logFacility: g.logFacility,
    logName: g.logName,
    aliases: g.aliases.map((a) => a.host),
    serverHeader: g.serverHeader,
    acc,
    userAgentHeader: g.userAgentHeader,
    serverSignature: g.serverSignature,
    tm,
    ctlPath,
    ctlAccess: ctl.access,
    ctlLimits: ctl.limits,
    ctlExtra: ctl.extra,
    ds: dispatcher.ds,
    stateFile,
    persistDefault: dispatcher.persistDefault,
    health,
    db,
    cluster,
    loadedModules: [...compiled.modules.keys()],
    tls:
      g.enableTls && mod('tls')
        ? readTlsParams((n) => mod('tls')?.param(n), compiled.dir, g.other.get('tls_handshake_timeout'))
        : null,
    xhttp: mod('xhttp') !== undefined,
    websocket: mod('websocket') ? readWsParams((n) => mod('websocket')?.param(n)) : null,
    tcpLimits: tcpLimitsFrom(g),
    dns: dnsOptionsFrom(g),
    admission,
  };
}
