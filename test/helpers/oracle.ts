/**
 * The same scenario against dsd and against Kamailio 5.6: a test that states Kamailio's
 * behaviour starts both on the same cfg and list (each on loopback ports of its own) and
 * compares what SIP peers and the control socket observe. Outside CI a missing kamailio
 * skips the Kamailio half with a reason; in CI (.ci/run installs it) it is required.
 */
import assert from 'node:assert/strict';
import { startDsd } from './daemon';
import { startKamailio } from './kamailio';
import { dsctl, dsctlAsync, kamcmd, kamcmdAsync, type CtlResult } from './ctl';
import { needs } from './require';

export type Impl = 'dsd' | 'kamailio';

/** The implementations this run compares: dsd always, Kamailio when it is installed (always in CI). */
export function impls(): Impl[] {
  return needs('kamailio') ? ['dsd'] : ['dsd', 'kamailio'];
}

export interface ProxyUnderTest {
  readonly impl: Impl;
  readonly dir: string;
  /** dsctl (dsd) or kamcmd (Kamailio) on the cfg's ctl socket `{DIR}/ctl`. */
  ctl(...args: string[]): CtlResult;
  /** As ctl, without blocking the event loop (the test's SIP peers keep answering meanwhile). */
  ctlAsync(...args: string[]): Promise<CtlResult>;
  output(): string;
  stop(): Promise<void>;
}

export interface ImplOptions {
  /** cfg text; `{DIR}` is the temp dir; the ctl socket must be `unix:{DIR}/ctl`. */
  cfg: string;
  list?: string;
  files?: Record<string, string>;
  /** -A NAME[=VAL] defines (both take kamailio's -A). */
  defines?: string[];
}

export async function startImpl(impl: Impl, o: ImplOptions): Promise<ProxyUnderTest> {
  if (impl === 'dsd') {
    const d = await startDsd({
      cfg: o.cfg,
      list: o.list,
      files: o.files,
      args: (o.defines ?? []).flatMap((x) => ['-A', x]),
    });
    return {
      impl,
      dir: d.dir,
      ctl: (...a) => dsctl(`${d.dir}/ctl`, ...a),
      ctlAsync: (...a) => dsctlAsync(`${d.dir}/ctl`, ...a),
      output: () => d.output(),
      stop: async () => {
        await d.stop();
      },
    };
  }
  const k = await startKamailio({ cfg: o.cfg, list: o.list, files: o.files, defines: o.defines });
  return {
    impl,
    dir: k.dir,
    ctl: (...a) => kamcmd(`${k.dir}/ctl`, ...a),
    ctlAsync: (...a) => kamcmdAsync(`${k.dir}/ctl`, ...a),
    output: () => k.output(),
    stop: () => k.stop(),
  };
}

/** Runs `scenario` once per implementation, each proxy stopped even when the scenario throws. */
export async function observeEach<T>(
  o: ImplOptions | ((impl: Impl) => ImplOptions),
  scenario: (p: ProxyUnderTest) => Promise<T>,
): Promise<Map<Impl, T>> {
  const out = new Map<Impl, T>();
  for (const impl of impls()) {
    const p = await startImpl(impl, typeof o === 'function' ? o(impl) : o);
    try {
      out.set(impl, await scenario(p));
    } catch (e) {
      throw new Error(
        `${impl}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n--- ${impl} output (tail) ---\n${p.output().slice(-3000)}`,
      );
    } finally {
      await p.stop();
    }
  }
  return out;
}

/** The modules both sides load for a dispatcher proxy. */
export const ORACLE_MODULES = ['tm', 'sl', 'rr', 'pv', 'maxfwd', 'textops', 'siputils', 'xlog', 'ctl', 'dispatcher']
  .map((m) => `loadmodule "${m}.so"`)
  .join('\n');

/** A cfg both accept: listeners on `port` (UDP and TCP), ctl and list in {DIR}, then `body`. */
export function oracleCfg(port: number, body: string, params: string[] = []): string {
  return [
    '#!KAMAILIO',
    'debug=2',
    'log_stderror=yes',
    'children=2',
    'auto_aliases=no',
    `listen=udp:127.0.0.1:${port}`,
    `listen=tcp:127.0.0.1:${port}`,
    ORACLE_MODULES,
    'modparam("ctl", "binrpc", "unix:{DIR}/ctl")',
    'modparam("dispatcher", "list_file", "{DIR}/dispatcher.list")',
    ...params,
    body,
  ].join('\n');
}

/**
 * dsd's observation, after asserting that Kamailio's (when it ran) is the same. `view`
 * picks what is compared when part of an observation is not the contract under test.
 */
export function same<T>(obs: Map<Impl, T>, view: (t: T) => unknown = (t) => t): T {
  const d = obs.get('dsd')!;
  const k = obs.get('kamailio');
  if (k !== undefined) assert.deepEqual(view(d), view(k), 'dsd and Kamailio 5.6 disagree');
  return d;
}

/** FLAGS of every destination in `dispatcher.list` (kamcmd or dsctl text), by set and URI: "1 sip:…". */
export async function destFlags(p: ProxyUnderTest): Promise<Record<string, string>> {
  const r = await p.ctlAsync('dispatcher.list');
  if (r.code !== 0) throw new Error(`dispatcher.list failed: ${r.err}`);
  const out: Record<string, string> = {};
  let set = '';
  let uri = '';
  for (const line of r.out.split('\n')) {
    const [k, v] = line.trim().split(': ');
    if (k === 'ID') set = v!;
    else if (k === 'URI') uri = v!;
    else if (k === 'FLAGS') out[`${set} ${uri}`] = v!;
  }
  return out;
}
