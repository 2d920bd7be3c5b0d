/**
 * `node dist/bench/cold-start.js`: only the cold-start run of `npm run bench:compare`
 * (lib/cold-start.ts), for trying start-up changes without the whole comparison. Prints
 * the markdown table; writes nothing.
 */
import path from 'node:path';
import { runMain } from './lib/cleanup';
import { parseFlags, usage, ArgError, FlagSpec } from './lib/args';
import { REPO } from './lib/sipp';
import { startDsd, startKamailio, ProxyName, RunningProxy } from './lib/proxies';
import { COLD_FLAGS, runColdStarts, coldStartMarkdown } from './lib/cold-start';

const FLAGS: FlagSpec[] = [
  { name: 'rate', kind: 'number', help: 'calls per second', default: 1000 },
  { name: 'children', kind: 'number', help: 'dsd -n and Kamailio children=', default: 1 },
  { name: 'probe-rate', kind: 'number', help: 'latency probe calls per second', default: 100 },
  { name: 'only', kind: 'string', help: 'one proxy: dsd or kamailio' },
  { name: 'node-args', kind: 'string', help: 'node flags for dsd, space-separated (V8 flags to try)' },
  ...COLD_FLAGS.filter((x) => x.name !== 'no-cold-start'),
];

async function main(): Promise<number> {
  let f;
  try {
    f = parseFlags(process.argv.slice(2), FLAGS);
  } catch (e) {
    if (e instanceof ArgError) {
      process.stderr.write(`cold-start: ${e.message}\n${usage('node dist/bench/cold-start.js', FLAGS)}\n`);
      return 2;
    }
    throw e;
  }
  if (f.help) {
    process.stdout.write(`${usage('node dist/bench/cold-start.js', FLAGS)}\n`);
    return 0;
  }
  const children = f.children as number;
  const nodeArgs = ((f['node-args'] as string | undefined) ?? '').split(' ').filter((x) => x.length > 0);
  const starter =
    (name: ProxyName) =>
    (port: number, backends: number[], extra: { onSpawn?: () => void }): Promise<RunningProxy> =>
      name === 'dsd'
        ? startDsd({ port, backends, dsdArgs: ['-n', String(children)], nodeArgs, ...extra })
        : startKamailio({
            ...extra,
            port,
            backends,
            children,
            shmMb: 1024,
            pkgMb: 16,
            cfgFile: path.join(REPO, 'bench', 'kamailio.cfg'),
          });
  const rs = await runColdStarts(
    f,
    starter,
    () => f['probe-rate'] as number,
    (m) => process.stderr.write(`${m}\n`),
  );
  process.stdout.write(coldStartMarkdown(rs));
  return 0;
}

void runMain(main);
