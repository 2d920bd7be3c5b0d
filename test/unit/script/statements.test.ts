import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { compile, compileRoute, MODS, newFakeCtx, run, varAfter } from './helpers';
import { LogLevel } from '../../../src/script';

describe('if / else', () => {
  const cases: Array<[string, string]> = [
    ['if (1) { $var(r) = "a"; } else { $var(r) = "b"; }', 'a'],
    ['if (0) { $var(r) = "a"; } else { $var(r) = "b"; }', 'b'],
    ['if (-1) { $var(r) = "a"; } else { $var(r) = "b"; }', 'b'], // negative is false
    ['if (0) $var(r) = "a"; else if (1) $var(r) = "c"; else $var(r) = "d";', 'c'],
    ['$var(r) = "none"; if (0) { $var(r) = "a"; }', 'none'],
    ['if 1 == 1 { $var(r) = "noparens"; }', 'noparens'],
  ];
  for (const [body, want] of cases) it(body, () => assert.equal(varAfter(body), want));
});

describe('return-code semantics', () => {
  it('a function returning <0 is false, >0 true', () => {
    const ctx = newFakeCtx({ results: { cmp_str: -1, cmp_istr: 2 } });
    assert.equal(
      varAfter(
        'if (cmp_str("a","b")) $var(r) = 1; else $var(r) = 2; if (cmp_istr("a","b")) $var(r) = $var(r) + 10;',
        'r',
        ctx,
      ),
      12,
    );
  });

  it('a function returning 0 stops the script (exit)', () => {
    const c = compileRoute('cmp_str("a", "b");\ncmp_istr("c", "d");');
    const { res, ctx } = run(c, newFakeCtx({ results: { cmp_str: 0 } }));
    assert.deepEqual(ctx.calls, ['cmp_str(a,b)']);
    assert.deepEqual(res, { action: 'exit', code: 0 });
  });

  it('a function returning 0 inside a condition stops the script too', () => {
    const c = compileRoute('if (!cmp_str("a", "b")) { cmp_istr("x", "y"); }\ncmp_istr("c", "d");');
    const { res, ctx } = run(c, newFakeCtx({ results: { cmp_str: 0 } }));
    assert.deepEqual(ctx.calls, ['cmp_str(a,b)']);
    assert.equal(res.action, 'exit');
  });

  it('return with no value is 1 and route() gives the route its code', () => {
    const c = compile(`${MODS}
request_route {
  route(A); $xavp(o=>a) = $rc;
  route(B); $xavp(o[0]=>b) = $rc;
  if (route(C)) { $xavp(o[0]=>c) = "true"; } else { $xavp(o[0]=>c) = "false"; }
  route(D); $xavp(o[0]=>d) = $retcode;
}
route[A] { return; }
route[B] { return -5; }
route[C] { return -1; }
route[D] { cmp_str("a", "b"); }
`);
    const { ctx } = run(c, newFakeCtx({ results: { cmp_str: 7 } }));
    assert.deepEqual(ctx.store.xavps.record('o')?.toObject(), { a: 1, b: -5, c: 'false', d: 7 });
  });

  it('return 0 inside a route ends the whole script', () => {
    const c = compile(`${MODS}
request_route { route(Z); cmp_str("never", "x"); }
route[Z] { return 0; }
`);
    const { res, ctx } = run(c);
    assert.deepEqual(ctx.calls, []);
    assert.deepEqual(res, { action: 'exit', code: 0 });
  });

  it('return in a route continues the caller; exit stops everything', () => {
    const c = compile(`${MODS}
request_route { route(R); cmp_str("after-return", "x"); route(E); cmp_str("after-exit", "x"); }
route[R] { return 3; cmp_str("unreached", "x"); }
route[E] { exit; }
`);
    const { res, ctx } = run(c);
    assert.deepEqual(ctx.calls, ['cmp_str(after-return,x)']);
    assert.deepEqual(res, { action: 'exit', code: 1 });
  });

  it('drop is distinguished from exit', () => {
    const c = compileRoute('drop;');
    assert.deepEqual(run(c).res, { action: 'drop', code: 0 });
    assert.deepEqual(run(compileRoute('exit;')).res, { action: 'exit', code: 1 });
    assert.deepEqual(run(compileRoute('return 7;')).res, { action: 'return', code: 7 });
    assert.deepEqual(run(compileRoute('$var(x) = 1;')).res, { action: 'return', code: 1 });
  });

  it('drop inside a reply route is reported as drop', () => {
    const c = compile(`${MODS}\nonreply_route[R] { if (status == "183") drop; }\nreply_route { exit; }`);
    const ctx = newFakeCtx({ status: 183 });
    assert.deepEqual(c.cfg.script.runOnReplyRoute('R', ctx), { action: 'drop', code: 0 });
    assert.deepEqual(c.cfg.script.runOnReplyRoute(null, ctx), { action: 'exit', code: 1 });
  });
});

describe('switch', () => {
  const sw = (subject: string, cases: string): string => `$var(r) = ""; switch (${subject}) { ${cases} }`;
  const cases: Array<[string, string]> = [
    [sw('2', 'case 1: $var(r) = "one"; break; case 2: $var(r) = "two"; break; default: $var(r) = "d";'), 'two'],
    [sw('9', 'case 1: $var(r) = "one"; break; default: $var(r) = "d";'), 'd'],
    [sw('1', 'case 1: $var(r) = $var(r) + "a"; case 2: $var(r) = $var(r) + "b"; break; case 3: $var(r) = "c";'), 'ab'],
    [sw('"INVITE"', 'case "BYE": $var(r) = "bye"; break; case "INVITE": $var(r) = "inv"; break;'), 'inv'],
    [sw('$rm', 'case "INVITE": $var(r) = "pv"; break;'), 'pv'],
    [sw('"sip:123"', 'case /"^sip:[0-9]+$": $var(r) = "re"; break; default: $var(r) = "no";'), 're'],
    [sw('4', 'case 3: case 4: $var(r) = "shared"; break;'), 'shared'],
    [sw('5', 'case 1: $var(r) = "x";'), ''],
  ];
  for (const [body, want] of cases) it(body, () => assert.equal(varAfter(body), want));

  it('break leaves only the switch; return passes through', () => {
    const c = compile(`${MODS}
request_route { route(S); cmp_str("after", "x"); }
route[S] { switch (1) { case 1: return 5; } cmp_str("unreached", "x"); }
`);
    const { ctx } = run(c);
    assert.deepEqual(ctx.calls, ['cmp_str(after,x)']);
  });
});

describe('while', () => {
  it('loops while the condition is non-zero', () => {
    assert.equal(
      varAfter(
        '$var(i) = 0; $var(r) = ""; while ($var(i) < 5) { $var(r) = $var(r) + $var(i); $var(i) = $var(i) + 1; }',
      ),
      '01234',
    );
  });

  it('break leaves the loop', () => {
    assert.equal(varAfter('$var(r) = 0; while (1) { $var(r) = $var(r) + 1; if ($var(r) == 3) break; }'), 3);
  });

  it('a runaway loop is stopped by max_while_loops, logged, and the script goes on', () => {
    const c = compile(
      `${MODS}max_while_loops=50\nrequest_route { $var(n) = 0; while (1) { $var(n) = $var(n) + 1; } $xavp(o=>rc) = $rc; $xavp(o[0]=>n) = $var(n); }\n`,
    );
    const { ctx } = run(c);
    assert.deepEqual(ctx.store.xavps.record('o')?.toObject(), { n: 50, rc: 0 });
    assert.ok(c.log.some((l) => l.level === LogLevel.ERR && /runaway while/.test(l.message)));
  });

  it('the default guard is 100 iterations', () => {
    const c = compile(
      `${MODS}request_route { route(L); $xavp(o=>n) = $var(n); }\nroute[L] { $var(n) = 0; while (1) { $var(n) = $var(n) + 1; } }\n`,
    );
    const { ctx } = run(c);
    assert.equal(ctx.store.xavps.field('o', 0, 'n'), 100);
  });
});

describe('flags', () => {
  it('setflag / isflagset / resetflag with numbers, defines and declared names', () => {
    const c = compile(`#!define FLT_ACC 1\n${MODS}flags FLAG_X: 5, FLAG_Y\nrequest_route {
      setflag(FLT_ACC); setflag(FLAG_X); setflag(FLAG_Y); setflag(3); resetflag(3);
      if (isflagset(1) && isflagset(FLAG_X) && !isflagset(3)) $xavp(o=>ok) = 1;
    }\n`);
    const { ctx } = run(c);
    assert.equal(ctx.flags, (1 << 1) | (1 << 5) | (1 << 0));
    assert.equal(ctx.store.xavps.field('o', 0, 'ok'), 1);
  });
});

describe('route recursion guard', () => {
  it('stops after max_recursive_level nested route() calls', () => {
    const c = compile(
      `${MODS}max_recursive_level=20\nrequest_route { route(A); $xavp(o=>d) = $var(d); }\nroute[A] { $var(d) = $var(d) + 1; route(A); }\n`,
    );
    const { ctx } = run(c);
    assert.equal(ctx.store.xavps.field('o', 0, 'd'), 20);
    assert.equal(c.log.filter((l) => /too many recursive/.test(l.message)).length, 1);
  });
});

describe('asynchronous functions', () => {
  it('awaits a Promise result and continues the script', async () => {
    const c = compileRoute('if (t_relay()) { $xavp(o=>r) = "relayed"; } cmp_str("after", "x");');
    const ctx = newFakeCtx({ results: { t_relay: () => new Promise<number>((r) => setTimeout(() => r(1), 5)) } });
    const res = c.cfg.script.runRequestRoute(ctx);
    assert.ok(res instanceof Promise);
    assert.deepEqual(await res, { action: 'return', code: 1 });
    assert.equal(ctx.store.xavps.field('o', 0, 'r'), 'relayed');
    assert.deepEqual(ctx.calls, ['t_relay()', 'cmp_str(after,x)']);
  });

  it('async results inside while and switch', async () => {
    let n = 0;
    const c = compileRoute('$var(i) = 0; while (cmp_str("a", "b")) { $var(i) = $var(i) + 1; } $xavp(o=>i) = $var(i);');
    const ctx = newFakeCtx({ results: { cmp_str: () => Promise.resolve(++n < 4 ? 1 : -1) } });
    await c.cfg.script.runRequestRoute(ctx);
    assert.equal(ctx.store.xavps.field('o', 0, 'i'), 3);
  });

  it('an async 0 result exits', async () => {
    const c = compileRoute('t_relay(); cmp_str("never", "x");');
    const ctx = newFakeCtx({ results: { t_relay: () => Promise.resolve(0) } });
    assert.deepEqual(await c.cfg.script.runRequestRoute(ctx), { action: 'exit', code: 0 });
    assert.deepEqual(ctx.calls, ['t_relay()']);
  });

  it('the synchronous path returns a plain object', () => {
    const c = compileRoute('t_relay();');
    const res = c.cfg.script.runRequestRoute(newFakeCtx());
    assert.ok(!(res instanceof Promise));
  });
});
