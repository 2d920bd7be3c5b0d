/**
 * core.echo, core.info and corex.debug through the real kamcmd against dsd and against
 * Kamailio 5.6 (with corex.so loaded) on the same cfg: echo and the debug level print the
 * same; core.info has Kamailio's fields in Kamailio's order (the values are dsd's own).
 * Deliberate difference: `corex.debug x` is an Invalid Parameters fault on dsd, where
 * Kamailio quietly reads the level instead.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDsd, type Dsd } from '../helpers/daemon';
import { startKamailio, toolsCfg, TOOLS_LIST, type Kamailio } from '../helpers/kamailio';
import { freePorts } from '../helpers/ports';
import { kamcmd, dsctl } from '../helpers/ctl';
import { needs } from '../helpers/require';

const COREX = 'loadmodule "corex.so"';

describe(
  'core.echo, core.info and corex.debug against Kamailio 5.6',
  { skip: needs('kamailio', 'kamcmd'), timeout: 120_000 },
  () => {
    let kam: Kamailio;
    let dsd: Dsd;
    before(async () => {
      const [pk, pd] = await freePorts(2);
      kam = await startKamailio({ cfg: toolsCfg(pk!, COREX), list: TOOLS_LIST });
      dsd = await startDsd({ cfg: toolsCfg(pd!, COREX), list: TOOLS_LIST });
    });
    after(async () => {
      await kam?.stop();
      await dsd?.stop();
    });
    const both = (...args: string[]): [string, string] => {
      const k = kamcmd(`${kam.dir}/ctl`, ...args);
      const d = kamcmd(`${dsd.dir}/ctl`, ...args);
      return [`${d.out}${d.err}`, `${k.out}${k.err}`];
    };

    test('core.echo prints its parameters back, one per line', () => {
      for (const args of [['a', '1', 'b c'], [], ['-5', 'x=y']]) {
        const [d, k] = both('core.echo', ...args);
        assert.equal(d, k, `core.echo ${args.join(' ')}`);
      }
      assert.equal(both('core.echo', 'one')[0], 'one\n');
      // dsctl says the same
      const r = dsctl(`${dsd.dir}/ctl`, 'core.echo', 'a', 'b');
      assert.equal(r.out, 'a\nb\n');
    });

    test('corex.debug reads and sets the level as Kamailio prints it', () => {
      const [d0, k0] = both('corex.debug');
      assert.equal(d0, k0);
      assert.match(d0, /^\{\n\tdebug: 2\n\}\n$/);
      const [d1, k1] = both('corex.debug', '3');
      assert.equal(d1, k1);
      assert.equal(d1, '{\n\told: 2\n\tnew: 3\n}\n');
      assert.equal(both('corex.debug')[0], '{\n\tdebug: 3\n}\n');
      // deliberate: garbage is refused rather than read as "no level given"
      const [dx, kx] = both('corex.debug', 'x');
      assert.equal(kx, '{\n\tdebug: 3\n}\n');
      assert.equal(dx, 'error: 500 - Invalid Parameters\n');
      both('corex.debug', '2');
    });

    test("core.info has Kamailio's fields in Kamailio's order", () => {
      const [d, k] = both('core.info');
      const keys = (s: string): string[] => [...s.matchAll(/^\t(\w+):/gm)].map((m) => m[1]!);
      assert.deepEqual(keys(d), keys(k));
      assert.deepEqual(keys(d), ['version', 'id', 'compiler', 'compiled', 'flags']);
      assert.match(d, /\tversion: dsd \d+\.\d+\.\d+\n/);
      assert.match(k, /\tversion: kamailio 5\.6/);
    });
  },
);
