/**
 * acc against Kamailio 5.6: the sample configuration (test/fixtures/cfg/dispatcher-sample.cfg,
 * log_flag FLT_ACC, failed_transaction_flag FLT_ACCFAILED, its log_extra; FLT_ACC set on
 * INVITE and BYE, FLT_ACCFAILED on BYE) run by dsd and by Kamailio side by side, each
 * with DB accounting added on an SQLite file (db_flag FLT_ACC, db_extra = the sample's
 * log_extra) whose tables `dsd db init` created — Kamailio writes into them too. The same
 * calls go through both: sipp calls (INVITE 200, BYE 200), a BYE the backend answers 481,
 * a BYE nobody answers (local 408 after fr_timer), an INVITE rejected 486 (no acc: the
 * sample sets no failed flag on INVITE), a request without user (stateless 484, no
 * transaction). (The db_url is written sqlite:////abs/path: Kamailio's db_sqlite reads the
 * path after `sqlite:///` as relative, dsd takes `//abs/path`, the same file.) The ACC log lines (fields, order, values; timestamps and sipp's
 * per-process tags normalised) and the acc rows must be the same.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startPair, Pair, Side, Impl } from '../helpers/compat';
import { tmpDir, DSD_BIN } from '../helpers/daemon';
import { needs } from '../helpers/require';
import { freePorts } from '../helpers/ports';
import { runUac, UAC_XML, FIXTURES, num } from '../helpers/sipp';
import { waitUntil } from '../helpers/wait';
import {
  Answerer,
  makeResponse,
  methodOf,
  headerValues,
  callIdOf,
  statusOf,
  Received,
  header,
} from '../helpers/sip-peer';
import { openDb } from '../../src/db/open';
import { at } from '../helpers/at';

const SAMPLE = fs.readFileSync(path.join(FIXTURES, 'cfg', 'dispatcher-sample.cfg'), 'utf8');
const EXTRA = 'src_user=$fU;src_domain=$fd;dst_ouser=$tU;dst_user=$rU;dst_domain=$rd;src_ip=$si';

/** The sample with its listen line on {PX} and DB accounting on `db` added after its acc params. */
function cfgWithDb(db: string): string {
  assert.match(SAMPLE, /^listen=udp:127\.0\.0\.1:5060$/m);
  const anchor =
    'modparam("acc", "log_extra",\n\t"src_user=$fU;src_domain=$fd;dst_ouser=$tU;dst_user=$rU;dst_domain=$rd;src_ip=$si")\n';
  assert.ok(SAMPLE.includes(anchor), "the sample's log_extra");
  return SAMPLE.replace(/^listen=udp:127\.0\.0\.1:5060$/m, 'listen=udp:127.0.0.1:{PX}')
    .replace('loadmodule "acc.so"\n', 'loadmodule "db_sqlite.so"\nloadmodule "acc.so"\n')
    .replace(
      anchor,
      `${anchor}modparam("acc", "db_url", "sqlite:///${db}")\nmodparam("acc", "db_flag", FLT_ACC)\nmodparam("acc", "db_extra", "${EXTRA}")\n`,
    );
}

function listFor(): string {
  return fs
    .readFileSync(path.join(FIXTURES, 'cfg', 'dispatcher.list'), 'utf8')
    .replace(/sip:127\.0\.0\.1:5080\b/, 'sip:127.0.0.1:{B0}')
    .replace(/sip:127\.0\.0\.1:5081\b/, 'sip:127.0.0.1:{B1}');
}

/** A backend: 200 with Record-Route and Contact to INVITE; X-Mode on a request picks 481, 486 or silence. */
function backend(name: string, port: number): Answerer {
  return (req) => {
    const m = methodOf(req.text);
    if (m === 'ACK' || statusOf(req.text) !== 0) return null;
    const mode = header(req.text, 'x-mode');
    if (mode === 'silent') return null;
    if (mode === '481') return makeResponse(req.text, 481, 'Call Leg Gone');
    if (mode === '486') return makeResponse(req.text, 486, 'Busy Here');
    if (m !== 'INVITE') return makeResponse(req.text, 200, 'OK');
    const rr = headerValues(req.text, 'record-route').map((v) => `Record-Route: ${v}`);
    return makeResponse(req.text, 200, 'OK', [...rr, `Contact: <sip:${name}@127.0.0.1:${port}>`]);
  };
}

/** ACC lines of a daemon's log, in order, with what differs by run normalised. */
function accLines(side: Side): string[] {
  const out: string[] = [];
  for (const l of side.output().split('\n')) {
    const at = l.indexOf('ACC: ');
    if (at < 0) continue;
    let text = l.slice(at);
    if (side.impl === 'dsd') text = (JSON.parse(l) as { msg: string }).msg;
    out.push(normalise(text.trimEnd()));
  }
  return out;
}

/** Timestamps, sipp's pid-based tags and Call-IDs. */
function normalise(s: string): string {
  return s
    .replace(/timestamp=\d+/, 'timestamp=T')
    .replace(/\d+SIPpTag0*(\d+)/g, 'SIPpTag$1')
    .replace(/(\d+)-\d+@127\.0\.0\.1/g, '$1-PID@127.0.0.1');
}

const skip = needs('kamailio', 'sipp');

describe('acc: the sample configuration on dsd and on Kamailio 5.6', { skip, timeout: 120_000 }, () => {
  let pair: Pair;
  let dir: string;
  const dbs: Record<Impl, string> = { dsd: '', kamailio: '' };

  before(async () => {
    dir = tmpDir('dsd-acc-');
    for (const impl of ['dsd', 'kamailio'] as const) {
      dbs[impl] = path.join(dir, `${impl}-acc.db`);
      const cfgFile = path.join(dir, `${impl}-init.cfg`);
      fs.writeFileSync(cfgFile, cfgWithDb(dbs[impl]).replace('{PX}', '5060'));
      fs.writeFileSync(path.join(dir, 'dispatcher.list'), listFor());
      const r = spawnSync(process.execPath, [DSD_BIN, 'db', 'init', '-f', cfgFile], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.status, 0, `dsd db init: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /created table acc\n/);
      assert.match(r.stdout, /created column acc\.src_user\n/);
    }
    pair = await startPair({
      // one SIP worker for Kamailio: db_sqlite has no busy timeout, and two children
      // inserting at once lose rows to "database is locked"
      cfg: (impl) =>
        impl === 'kamailio' ? cfgWithDb(dbs[impl]).replace(/^children=4$/m, 'children=1') : cfgWithDb(dbs[impl]),
      files: { 'dispatcher.list': listFor() },
      backends: 2,
      answer: (_impl, b, peer) => backend(`b${b}`, peer.port),
    });
  });

  after(async () => {
    await pair?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Sends raw text from the side's UA and waits for the final reply to `callId`. */
  async function send(side: Side, text: string, callId: string): Promise<Received> {
    const mark = side.ua.received.length;
    await side.ua.send(
      text
        .replaceAll('{PX}', String(side.px))
        .replaceAll('{UA}', String(side.ua.port))
        .replaceAll('{B0}', String(at(side.backends, 0).port)),
      side.px,
    );
    return side.ua.waitFor((m) => callIdOf(m.text) === callId && statusOf(m.text) >= 200, 30_000, mark);
  }

  /** An in-dialog BYE routed through the proxy to the backend that took the call. */
  function bye(callId: string, mode: string): string {
    return (
      `BYE sip:b0@127.0.0.1:{B0} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{UA};branch=z9hG4bK${callId.replace(/\W/g, '')};rport\r\n` +
      `Route: <sip:127.0.0.1:{PX};lr=on>\r\nFrom: <sip:alice@a.example>;tag=ua-${mode}\r\nTo: <sip:bob@127.0.0.1>;tag=peer200\r\n` +
      `Call-ID: ${callId}\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\nX-Mode: ${mode}\r\nContent-Length: 0\r\n\r\n`
    );
  }

  it('sipp calls: one "transaction answered" line per INVITE and per BYE, as Kamailio writes them', async () => {
    const ports = await freePorts(4);
    const runs = await Promise.all(
      pair.sides.map((s, i) =>
        runUac({
          scenario: UAC_XML,
          port: at(ports, 2 * i),
          controlPort: at(ports, 2 * i + 1),
          remote: `127.0.0.1:${s.px}`,
          calls: 3,
          rate: 10,
          extra: ['-l', '1'],
          timeoutMs: 30_000,
        }),
      ),
    );
    for (const r of runs) assert.equal(num(r.stats, 'SuccessfulCall(C)'), 3, r.output.slice(-2000));
    for (const s of pair.sides) await waitUntil(() => accLines(s).length >= 6, { what: `6 ACC lines from ${s.impl}` });
    const k = accLines(pair.kamailio);
    const d = accLines(pair.dsd);
    assert.match(
      at(k, 0),
      /^ACC: transaction answered: timestamp=T;method=INVITE;from_tag=SIPpTag1;to_tag=peer200;call_id=1-PID@127\.0\.0\.1;code=200;reason=OK;src_user=sipp;src_domain=127\.0\.0\.1;dst_ouser=service;dst_user=service;dst_domain=127\.0\.0\.1;src_ip=127\.0\.0\.1$/,
    );
    assert.deepEqual([...d].sort(), [...k].sort());
  });

  it('a failed BYE (481 from the backend, and a local 408 after fr_timer) is accounted: failed_transaction_flag', async () => {
    const before = { dsd: accLines(pair.dsd).length, kamailio: accLines(pair.kamailio).length };
    await Promise.all(
      pair.sides.map(async (s) => {
        const r1 = await send(s, bye('acc-bye-481@test', '481'), 'acc-bye-481@test');
        assert.equal(statusOf(r1.text), 481);
        const r2 = await send(s, bye('acc-bye-silent@test', 'silent'), 'acc-bye-silent@test');
        assert.equal(statusOf(r2.text), 408);
      }),
    );
    for (const s of pair.sides)
      await waitUntil(() => accLines(s).length >= before[s.impl] + 2, { what: `2 more ACC lines from ${s.impl}` });
    const k = accLines(pair.kamailio).slice(before.kamailio);
    const d = accLines(pair.dsd).slice(before.dsd);
    assert.ok(
      k.some((l) => l.includes(';code=481;reason=Call Leg Gone;')),
      k.join('\n'),
    );
    assert.ok(
      k.some((l) => l.includes(';code=408;reason=Request Timeout;')),
      k.join('\n'),
    );
    assert.deepEqual(d, k);
  });

  it('an INVITE rejected 486 and a stateless 484 are not accounted (no failed flag, no transaction)', async () => {
    const before = { dsd: accLines(pair.dsd).length, kamailio: accLines(pair.kamailio).length };
    await Promise.all(
      pair.sides.map(async (s) => {
        const inv =
          `INVITE sip:busy@127.0.0.1:{PX} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{UA};branch=z9hG4bKaccbusy;rport\r\n` +
          'From: <sip:alice@a.example>;tag=busy1\r\nTo: <sip:busy@127.0.0.1>\r\nCall-ID: acc-busy@test\r\nCSeq: 1 INVITE\r\n' +
          'Max-Forwards: 70\r\nX-Mode: 486\r\nContact: <sip:alice@127.0.0.1:{UA}>\r\nContent-Length: 0\r\n\r\n';
        assert.equal(statusOf((await send(s, inv, 'acc-busy@test')).text), 486);
        const nouser =
          'MESSAGE sip:127.0.0.1:{PX} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{UA};branch=z9hG4bKaccnouser;rport\r\n' +
          'From: <sip:alice@a.example>;tag=nu1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: acc-nouser@test\r\nCSeq: 1 MESSAGE\r\n' +
          'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n';
        assert.equal(statusOf((await send(s, nouser, 'acc-nouser@test')).text), 484);
        // a marker call after them: once its line is there, nothing else is coming
        const r = await send(s, bye('acc-marker@test', '481'), 'acc-marker@test');
        assert.equal(statusOf(r.text), 481);
      }),
    );
    for (const s of pair.sides)
      await waitUntil(() => accLines(s).some((l) => l.includes('acc-marker@test')), {
        what: `marker line from ${s.impl}`,
      });
    const k = accLines(pair.kamailio).slice(before.kamailio);
    const d = accLines(pair.dsd).slice(before.dsd);
    assert.equal(k.length, 1, k.join('\n'));
    assert.deepEqual(d, k);
  });

  it('the acc table holds the same rows (DB accounting into tables dsd db init created)', async () => {
    const rows: Record<Impl, string[]> = { dsd: [], kamailio: [] };
    const expected = accLines(pair.kamailio).length;
    for (const impl of ['dsd', 'kamailio'] as const) {
      rows[impl] = await waitUntil(
        async () => {
          const db = await openDb(`sqlite:///${dbs[impl]}`, { readOnly: true });
          try {
            const rs = await db.query<Record<string, unknown>>(
              'select method, from_tag, to_tag, callid, sip_code, sip_reason, time, src_user, src_domain, dst_ouser, dst_user, dst_domain, src_ip from acc order by id',
            );
            if (rs.length < expected) return null;
            // db_sqlite stores a DATETIME as a Julian day number
            for (const r of rs)
              assert.ok(
                typeof r.time === 'number' && Math.abs(r.time - (Date.now() / 86_400_000 + 2440587.5)) < 1,
                `time ${r.time}`,
              );
            return rs.map((r) =>
              normalise(
                Object.entries(r)
                  .filter(([k]) => k !== 'time')
                  .map(([k, v]) => `${k}=${v}`)
                  .join(';'),
              ),
            );
          } finally {
            await db.close();
          }
        },
        { what: `${expected} acc rows in ${impl}'s database` },
      );
    }
    assert.equal(rows.kamailio.length, expected);
    assert.deepEqual([...rows.dsd].sort(), [...rows.kamailio].sort());
  });
});
