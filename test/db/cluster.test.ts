/**
 * Two (and three) ClusterNode instances on one real PostgreSQL, each with its own
 * dispatcher engine loaded from the shared table, wired the way the daemon wires them:
 * local operations publish, remote ones are applied without publishing again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DbListSource, DEFAULT_TABLE, defaultDbParams, runDbInit } from '../../src/modules/dispatcher/db';
import { DispatcherDb } from '../../src/daemon/db-glue';
import {
  adminEntriesFor,
  applyClusterEvent,
  buildClusterListResult,
  ClusterNode,
  defaultClusterParams,
  destStatesOf,
} from '../../src/cluster';
import { defaultParams, setParam } from '../../src/modules/dispatcher/params';
import type { ReloadSource } from '../../src/modules/dispatcher/list-manager';
import { Dispatcher } from '../../src/modules/dispatcher/engine';
import { flagsString } from '../../src/modules/dispatcher/flags';
import { collectLog, engine, exec } from './backend-suite';
import type { DrainChange } from '../../src/modules/dispatcher/lb/drain';
import { applyDrainChange } from '../../src/modules/dispatcher/lb/operations';
import { missingPostgres, PgServer, startPostgres } from './helpers';
import { fixtureStatements } from '../fixtures/db/capture';
import { at } from '../helpers/at';

const skip = missingPostgres();
if (skip) process.stderr.write(`# skipping the cluster tests: ${skip}\n`);
let pg: PgServer | null = null;
let n = 0;
const opts = { skip: skip ?? false };

before(async () => {
  if (!skip) pg = await startPostgres();
});
after(async () => {
  await pg?.destroy();
});

/** Waits on a condition; how fast a change spreads is measured by the benchmark, not here. */
async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 <= ms) {
    if (await cond()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`not within ${ms} ms: ${what}`);
}

interface Member {
  node: ClusterNode;
  ds: Dispatcher;
  src: DbListSource;
  log: ReturnType<typeof collectLog>;
  resyncs: number;
  /** A local set_state as the RPC handler does it: engine, then publish with the table rows. */
  setState(state: string, group: number, target: string): Promise<string>;
}

async function member(url: string, name: string, heartbeatSec = 1): Promise<Member> {
  const src = new DbListSource({ url, table: DEFAULT_TABLE, loadMode: 0 });
  const ds = engine({ reload_delta: 0 });
  const log = collectLog();
  const node = new ClusterNode({
    url,
    name,
    address: `udp:127.0.0.1:${5060 + n}`,
    version: 'dsd test',
    heartbeatSec,
    log,
    reconnectMs: { initial: 100, max: 500 },
  });
  const m: Member = {
    node,
    ds,
    src,
    log,
    resyncs: 0,
    async setState(state, group, target) {
      const r = ds.setStateRpc(state, group, target, false);
      await node.publish(
        'set_state',
        { state, group, address: target },
        { adminStates: adminEntriesFor(ds.exportAdminStates(), group, target, false) },
      );
      return r;
    },
  };
  node.onRemote = (kind, args) => applyClusterEvent({ ds, reloadSource: () => src.source() }, kind, args);
  node.onResync = async () => {
    m.resyncs++;
    await ds.reload(await src.source());
    ds.importAdminStates(await node.adminStates());
  };
  node.destStates = () => destStatesOf(ds.list);
  // Start order as in the daemon: connect, fetch the admin states, load.
  await node.start();
  ds.importAdminStates(node.connected ? await node.adminStates() : []);
  await ds.loadInitial(await src.source());
  return m;
}

function flagsOf(ds: Dispatcher, set: number, uri: string): string | undefined {
  const d = ds.list?.byId.get(set)?.dests.find((x) => x.uri === uri);
  return d === undefined ? undefined : flagsString(d.flags);
}

async function cluster(): Promise<string> {
  const url = await pg!.createDatabase(`c${++n}`);
  await runDbInit(url);
  await exec(url, ...fixtureStatements());
  return url;
}

test('cluster: set_state on A reaches B; reload, add and remove too', opts, async () => {
  const url = await cluster();
  const a = await member(url, 'node-a');
  const b = await member(url, 'node-b');
  try {
    assert.equal(await a.setState('ip', 1, 'sip:127.0.0.1:5080'), 'Ok. Dispatcher state updated.');
    await waitFor('B sees IP', () => flagsOf(b.ds, 1, 'sip:127.0.0.1:5080') === 'IP');
    // A row inserted by SQL, then dispatcher.reload on A: B reloads from the table.
    await exec(url, "INSERT INTO dispatcher VALUES(8,4,'sip:127.0.0.4:5060',0,0,'','')");
    await a.ds.reload(await a.src.source());
    await a.node.publish('reload', {});
    await waitFor('B has set 4', () => b.ds.list!.byId.has(4));
    // The admin state survives B's reload (engine overlay).
    assert.equal(flagsOf(b.ds, 1, 'sip:127.0.0.1:5080'), 'IP');
    await a.ds.add(5, 'sip:127.0.0.5:5060', 0, 0, 'duid=five');
    await a.node.publish('add', { group: 5, address: 'sip:127.0.0.5:5060', flags: 0, priority: 0, attrs: 'duid=five' });
    await waitFor('B has set 5', () => flagsOf(b.ds, 5, 'sip:127.0.0.5:5060') === 'AX');
    await a.ds.remove(5, 'sip:127.0.0.5:5060');
    await a.node.publish(
      'remove',
      { group: 5, address: 'sip:127.0.0.5:5060' },
      { forget: { setId: 5, uri: 'sip:127.0.0.5:5060' } },
    );
    await waitFor('B lost set 5', () => !b.ds.list!.byId.has(5));
    // A never applies its own events (it would have thrown on the duplicate remove).
    assert.deepEqual(
      a.log.lines.filter((l) => l.includes('not applied')),
      [],
    );
    assert.deepEqual(
      b.log.lines.filter((l) => l.includes('not applied')),
      [],
    );
  } finally {
    await a.node.stop();
    await b.node.stop();
  }
});

test('cluster: admin states live in dsd_admin_state; a node started later comes up with them', opts, async () => {
  const url = await cluster();
  const a = await member(url, 'node-a');
  try {
    await a.setState('d', 2, 'sip:127.0.0.2:5091');
    await a.setState('ip', 1, 'all');
    const rows = await a.node.adminStates();
    assert.deepEqual(rows.map((r) => [r.setId, r.uri, r.state]).sort(), [
      [1, 'sip:127.0.0.1:5080', 'ip'],
      [1, 'sip:127.0.0.1:5081', 'ip'],
      [1, 'sip:127.0.0.1:5082', 'ip'],
      [2, 'sip:127.0.0.2:5091', 'd'],
    ]);
    // Kamailio's table is untouched (an UPDATE would reorder it on PostgreSQL).
    const r = await a.src.load();
    assert.deepEqual(
      r.records.map((x) => x.flags),
      [0, 8, 0, 8, 0, 1, 0],
    );
    const c = await member(url, 'node-c');
    try {
      assert.equal(flagsOf(c.ds, 2, 'sip:127.0.0.2:5091'), 'DX');
      assert.equal(flagsOf(c.ds, 1, 'sip:127.0.0.1:5081'), 'IP');
      assert.equal(flagsOf(c.ds, 3, 'sip:127.0.0.3:5060'), 'AX');
    } finally {
      await c.node.stop();
    }
    // An older decision queued somewhere never overwrites a newer one.
    await a.node.upsertAdminState({ setId: 2, uri: 'sip:127.0.0.2:5091', state: 'a', at: 1 });
    assert.equal((await a.node.adminStates()).find((e) => e.setId === 2)?.state, 'd');
  } finally {
    await a.node.stop();
  }
});

test("cluster: cluster.list shows every node, up or gone, and with dest each node's view", opts, async () => {
  const url = await cluster();
  const a = await member(url, 'node-a');
  const b = await member(url, 'node-b', 0);
  try {
    // B's own keepalives see gw 5082 down; only B's view shows it.
    b.ds.setStateRpc('ip', 1, 'sip:127.0.0.1:5082', false);
    await b.node.heartbeat();
    await a.node.heartbeat();
    let nodes = buildClusterListResult(await a.node.listNodes(2), true);
    assert.deepEqual(
      nodes.map((x) => [x.NAME, x.STATE, x.VERSION]),
      [
        ['node-a', 'up', 'dsd test'],
        ['node-b', 'up', 'dsd test'],
      ],
    );
    assert.match(at(nodes, 0).LAST_HEARTBEAT, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const view = (name: string) =>
      nodes.find((x) => x.NAME === name)!.DESTS!.find((d) => d.DEST.URI === 'sip:127.0.0.1:5082')!.DEST;
    assert.deepEqual(view('node-b'), { SET: 1, URI: 'sip:127.0.0.1:5082', FLAGS: 'IP' });
    assert.deepEqual(view('node-a'), { SET: 1, URI: 'sip:127.0.0.1:5082', FLAGS: 'AP' });
    assert.equal(at(buildClusterListResult(await a.node.listNodes(2), false), 0).DESTS, undefined);
    // B stops heartbeating (no timer): gone after the timeout; A keeps heartbeating.
    await new Promise((r) => setTimeout(r, 2300));
    // A's own beat now, so its timer running late on a starved machine does not make it gone too
    await a.node.heartbeat();
    nodes = buildClusterListResult(await a.node.listNodes(2), false);
    assert.deepEqual(
      nodes.map((x) => [x.NAME, x.STATE]),
      [
        ['node-a', 'up'],
        ['node-b', 'gone'],
      ],
    );
    await b.node.heartbeat();
    assert.equal((await a.node.listNodes(2)).find((x) => x.name === 'node-b')!.state, 'up');
    // A clean stop shows gone at once.
    await b.node.stop();
    assert.equal((await a.node.listNodes(60)).find((x) => x.name === 'node-b')!.state, 'gone');
  } finally {
    await a.node.stop();
    await b.node.stop();
  }
});

test('cluster: PostgreSQL stopped for seconds: nodes keep routing, log once, reconnect and resync', opts, async () => {
  const url = await cluster();
  const a = await member(url, 'node-a');
  const b = await member(url, 'node-b');
  try {
    await pg!.stop();
    await waitFor('both notice', () => !a.node.connected && !b.node.connected);
    // Routing state is untouched; a set_state on A is applied locally and queued.
    assert.equal(await a.setState('d', 3, 'sip:127.0.0.3:5060'), 'Ok. Dispatcher state updated.');
    assert.equal(flagsOf(a.ds, 3, 'sip:127.0.0.3:5060'), 'DX');
    assert.equal(a.node.queued, 1);
    assert.equal(b.ds.list!.sets.length, 3);
    await new Promise((r) => setTimeout(r, 2500));
    await pg!.start();
    // While PostgreSQL was away, the operator changed the table: both pick it up on resync.
    await waitFor('both reconnect', () => a.node.connected && b.node.connected && a.resyncs > 0 && b.resyncs > 0);
    await waitFor('B got the queued set_state', () => flagsOf(b.ds, 3, 'sip:127.0.0.3:5060') === 'DX');
    assert.equal(a.node.queued, 0);
    for (const m of [a, b]) {
      const errors = m.log.lines.filter((l) => l.startsWith('error '));
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.match(at(errors, 0), /routing continues on the current list/);
      assert.ok(m.log.lines.some((l) => /connected to postgres:\/\/dsd:\*\*\*@.* again after \d+s/.test(l)));
    }
    await exec(url, "INSERT INTO dispatcher VALUES(9,6,'sip:127.0.0.6:5060',0,0,'','')");
    await a.ds.reload(await a.src.source());
    await a.node.publish('reload', {});
    await waitFor('B has set 6', () => b.ds.list!.byId.has(6));
    assert.equal(flagsOf(b.ds, 3, 'sip:127.0.0.3:5060'), 'DX');
  } finally {
    await a.node.stop();
    await b.node.stop();
  }
});

/** A node wired through DispatcherDb as the daemon wires it (start order included). */
async function glued(url: string, name: string) {
  const ds = defaultParams();
  setParam(ds, 'db_url', url);
  setParam(ds, 'reload_delta', 0);
  const cl = defaultClusterParams();
  cl.enabled = true;
  cl.nodeName = name;
  cl.heartbeatSec = 1;
  const log = collectLog();
  const dsDb = (await DispatcherDb.create({
    ds,
    db: defaultDbParams(),
    cluster: cl,
    loadedModules: ['db_postgres'],
    log,
    version: 'v',
    address: `udp:127.0.0.1:${name === 'a' ? 5071 : 5072}`,
  }))!;
  const engineA = new Dispatcher({ params: ds });
  const rt = { ds: engineA, reload: (s?: ReloadSource) => engineA.reload(s) };
  dsDb.attach(rt);
  assert.equal(await dsDb.startCluster(), true);
  engineA.importAdminStates(await dsDb.adminSource!());
  engineA.lb.drains.replace(await dsDb.drainSource!());
  await engineA.loadInitial(await dsDb.listSource.initial());
  await dsDb.started();
  return { dsDb, ds: engineA, log };
}

test(
  'cluster through DispatcherDb (the daemon glue): RPC on A published, applied on B; cluster.list handler',
  opts,
  async () => {
    const url = await cluster();
    const make = (name: string) => glued(url, name);
    const a = await make('a');
    const b = await make('b');
    try {
      a.ds.setStateRpc('ip', 2, 'sip:127.0.0.2:5090;transport=tcp', false);
      await a.dsDb.afterChange(
        { kind: 'setState', state: 'ip', setId: 2, uri: 'sip:127.0.0.2:5090;transport=tcp' },
        false,
      );
      await waitFor('B sees IP', () => flagsOf(b.ds, 2, 'sip:127.0.0.2:5090;transport=tcp') === 'IP');
      await a.ds.add(7, 'sip:127.0.0.7', 0, 0, null);
      await a.dsDb.afterChange(
        { kind: 'add', setId: 7, uri: 'sip:127.0.0.7', flags: 0, priority: 0, attrs: null },
        true,
      );
      await waitFor('B has set 7', () => b.ds.list!.byId.has(7));
      const list = await a.dsDb.clusterListHandler()!(['dest']);
      assert.deepEqual(
        list.map((x) => [x.NAME, x.ADDRESS, x.STATE]),
        [
          ['a', 'udp:127.0.0.1:5071', 'up'],
          ['b', 'udp:127.0.0.1:5072', 'up'],
        ],
      );
      assert.ok(at(list, 0).DESTS!.length >= 7);
      // A restarted node comes up with the persisted row and the cluster's admin state.
      await b.dsDb.close();
      const b2 = await make('b');
      try {
        assert.equal(flagsOf(b2.ds, 2, 'sip:127.0.0.2:5090;transport=tcp'), 'IP');
        assert.ok(b2.ds.list!.byId.has(7));
      } finally {
        await b2.dsDb.close();
      }
    } finally {
      await a.dsDb.close();
      await b.dsDb.close();
    }
  },
);

test(
  'cluster: drain is an admin state like the others: on A reaches B, kept in dsd_drain, undrain on B',
  opts,
  async () => {
    const url = await cluster();
    const a = await glued(url, 'a');
    const b = await glued(url, 'b');
    const draining = (ds: Dispatcher, set: number, uri: string): boolean =>
      ds.lb.drains.isDraining(ds.list!.byId.get(set)!.dests.find((d) => d.uri === uri)!);
    const local = async (n: typeof a, c: DrainChange): Promise<void> => {
      applyDrainChange(n.ds, c, false, Date.now());
      await n.dsDb.afterChange(c, false);
    };
    try {
      await local(a, { kind: 'drainDuid', setId: 1, duid: 'gw3' });
      await local(a, { kind: 'drain', setId: 2, uri: 'all' });
      assert.ok((await waitFor('B drains gw3', () => draining(b.ds, 1, 'sip:127.0.0.1:5082'))) < 1000);
      await waitFor('B drains set 2', () => b.ds.list!.byId.get(2)!.dests.every((d) => b.ds.lb.drains.isDraining(d)));
      assert.equal(draining(b.ds, 1, 'sip:127.0.0.1:5080'), false);
      // the rows: by duid as given, `all` one per URI; Kamailio's table untouched
      const rows = await a.dsDb.cluster!.drains();
      assert.deepEqual(rows.map((r) => [r.setId, r.duid ?? r.uri]).sort(), [
        [1, 'gw3'],
        [2, 'sip:127.0.0.2:5090;transport=tcp'],
        [2, 'sip:127.0.0.2:5091'],
        [2, 'sip:127.0.0.2:5092'],
      ]);
      assert.deepEqual(await a.dsDb.cluster!.adminStates(), []);
      // a node started later comes up draining
      const c = await glued(url, 'c');
      try {
        assert.equal(draining(c.ds, 1, 'sip:127.0.0.1:5082'), true);
        assert.equal(draining(c.ds, 2, 'sip:127.0.0.2:5091'), true);
        assert.equal(draining(c.ds, 1, 'sip:127.0.0.1:5081'), false);
        // undrain on B (by URI, of a drain made by duid on A) restores it on A and C
        await local(b, { kind: 'undrain', setId: 1, uri: 'sip:127.0.0.1:5082' });
        await local(b, { kind: 'undrainDuid', setId: 2, duid: 'gw5' });
        await waitFor('A undrained gw3', () => !draining(a.ds, 1, 'sip:127.0.0.1:5082'));
        await waitFor('C undrained gw5', () => !draining(c.ds, 2, 'sip:127.0.0.2:5091'));
        assert.equal(draining(a.ds, 2, 'sip:127.0.0.2:5090;transport=tcp'), true);
      } finally {
        await c.dsDb.close();
      }
      assert.deepEqual((await b.dsDb.cluster!.drains()).map((r) => r.uri).sort(), [
        'sip:127.0.0.2:5090;transport=tcp',
        'sip:127.0.0.2:5092',
      ]);
      // an older drain queued somewhere never wins over the newer undrain
      await a.dsDb.cluster!.publish(
        'drain_duid',
        { group: 1, duid: 'gw3' },
        {
          drains: [{ setId: 1, duid: 'gw3', draining: true, at: 1 }],
        },
      );
      assert.equal(
        (await a.dsDb.cluster!.drains()).some((r) => r.duid === 'gw3'),
        false,
      );
      // a removed destination takes its drain row with it
      await a.ds.remove(2, 'sip:127.0.0.2:5092');
      await a.dsDb.afterChange({ kind: 'remove', setId: 2, uri: 'sip:127.0.0.2:5092' }, false);
      assert.deepEqual(
        (await a.dsDb.cluster!.drains()).map((r) => r.uri),
        ['sip:127.0.0.2:5090;transport=tcp'],
      );
      for (const n of [a, b])
        assert.deepEqual(
          n.log.lines.filter((l) => l.includes('not applied')),
          [],
        );
    } finally {
      await a.dsDb.close();
      await b.dsDb.close();
    }
  },
);
