// Every route kind the compiler accepts has a runner; onsend_route has none and is refused.
import { it } from 'node:test';
import * as assert from 'node:assert/strict';
import { createRegistry, checkConfigText, compileConfigText } from '../../../src/script';

it('onsend_route is refused: dsd would never run it', () => {
  const r = checkConfigText(
    'request_route {\n  exit;\n}\nonsend_route {\n  exit;\n}\n',
    '/virtual/s.cfg',
    createRegistry<object>(),
  );
  assert.deepEqual(
    r.errors.map((e) => e.detail),
    ['onsend_route is not run by dsd: a route that would never run is refused'],
  );
});

it('branch_route, onreply_route[NAME] and the core reply_route compile and have runners', () => {
  const text =
    'request_route {\n  exit;\n}\nbranch_route[B] {\n  drop;\n}\nonreply_route[R] {\n  drop;\n}\nreply_route {\n  drop;\n}\n';
  const c = compileConfigText(text, '/virtual/s.cfg', { registry: createRegistry<object>() });
  assert.ok(c.script.hasBranchRoute('B') && c.routes.branch('B'));
  assert.ok(c.script.hasOnReplyRoute('R') && c.routes.onreply('R'));
  assert.ok(c.script.hasOnReplyRoute(null) && c.routes.onreply(null));
  assert.equal((c.script.runBranchRoute('B', {}) as { action: string }).action, 'drop');
});
