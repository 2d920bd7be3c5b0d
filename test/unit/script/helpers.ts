// Shared helpers for the script-engine unit tests: compile config text against
// the fake SIP registrations and run routes over a FakeCtx.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  checkConfigText,
  compileConfigText,
  ConfigErrors,
  createRegistry,
  simpleHost,
  type CompiledConfig,
  type ConfigError,
  type LogRecord,
  type RunResult,
  type ScriptRegistry,
} from '../../../src/script';
import { newFakeCtx, registerFakeSip, type FakeCtx } from '../../../src/script/testing';

export const FILE = '/virtual/test.cfg';
export const REPO = path.resolve(__dirname, '..', '..', '..', '..');
export const FIXTURES = path.join(REPO, 'test', 'fixtures', 'cfg');

/** Header loading every module the fakes implement plus pv and xlog. */
export const MODS = `loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "sanity.so"
loadmodule "dispatcher.so"
`;

export function fakeRegistry(): ScriptRegistry<FakeCtx> {
  return registerFakeSip(createRegistry<FakeCtx>());
}

export interface Compiled {
  cfg: CompiledConfig<FakeCtx>;
  log: LogRecord[];
}

export function compile(
  text: string,
  opts: {
    files?: Record<string, string>;
    defines?: Record<string, string | true>;
    registry?: ScriptRegistry<FakeCtx>;
  } = {},
): Compiled {
  const log: LogRecord[] = [];
  const files = opts.files ?? {};
  const cfg = compileConfigText(text, FILE, {
    registry: opts.registry ?? fakeRegistry(),
    host: simpleHost<FakeCtx>({
      log,
      myself: (ctx, op) =>
        op === 'uri' ? ctx.ruri.includes('@127.0.0.1') : op === 'src_ip' ? ctx.srcIp === '127.0.0.1' : false,
    }),
    defines: opts.defines,
    readFile: (f) => files[f] ?? null,
  });
  return { cfg, log };
}

/** Compile a body placed inside request_route { ... } after the module header. */
export function compileRoute(body: string, extra = ''): Compiled {
  return compile(`${MODS}${extra}\nrequest_route {\n${body}\n}\n`);
}

export function errorsOf(
  text: string,
  opts: { files?: Record<string, string>; registry?: ScriptRegistry<FakeCtx> } = {},
): readonly ConfigError[] {
  const files = opts.files ?? {};
  return checkConfigText(text, FILE, opts.registry ?? fakeRegistry(), {
    host: simpleHost<FakeCtx>({ myself: () => false }),
    readFile: (f) => files[f] ?? null,
  }).errors;
}

/** Assert the config is refused with an error at line:col whose message matches re. */
export function assertError(
  text: string,
  line: number,
  col: number,
  re: RegExp,
  opts: { files?: Record<string, string>; file?: string } = {},
): ConfigError {
  const errs = errorsOf(text, opts);
  const file = opts.file ?? FILE;
  const hit = errs.find((e) => e.file === file && e.line === line && e.col === col && re.test(e.detail));
  assert.ok(
    hit,
    `expected error ${file}:${line}:${col} ~ ${re}, got:\n${errs.map((e) => e.message).join('\n') || '(no errors)'}`,
  );
  assert.throws(() => compile(text, { files: opts.files }), ConfigErrors);
  return hit;
}

export function run(c: Compiled, ctx: FakeCtx = newFakeCtx()): { res: RunResult; ctx: FakeCtx } {
  const res = c.cfg.script.runRequestRoute(ctx);
  assert.ok(!(res instanceof Promise), 'expected a synchronous run');
  return { res: res as RunResult, ctx };
}

/** Value of $var(name) after running the route. */
export function varAfter(body: string, name = 'r', ctx: FakeCtx = newFakeCtx()): unknown {
  const c = compileRoute(`${body}\n$xavp(out=>v) = $var(${name});`);
  run(c, ctx);
  return ctx.store.xavps.field('out', 0, 'v');
}

export { newFakeCtx, type FakeCtx };
