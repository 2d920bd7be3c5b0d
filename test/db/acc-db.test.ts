/**
 * DB accounting on PostgreSQL and MySQL (throwaway servers): `dsd db init` creates
 * Kamailio's acc schema plus the db_extra columns (twice: nothing changes), a call through
 * dsd lands as one row per accounted transaction whose values are those of the ACC log
 * line (the same line the acc e2e test compares with Kamailio's), the time as a DATETIME
 * string. SQLite is covered against Kamailio itself in test/e2e/acc.test.ts.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startPostgres, startMariadb, missingPostgres, missingMariadb, PgServer, MyServer, dsdRun } from './helpers';
import { startDsd, tmpDir, Dsd } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { UdpPeer, answer200, callIdOf, statusOf } from '../helpers/sip-peer';
import { waitUntil } from '../helpers/wait';
import { openDb } from '../../src/db/open';
import { at } from '../helpers/at';

function cfg(px: number, backend: number, dbUrl: string, mod: string): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
listen=udp:127.0.0.1:${px}
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "${mod}.so"
loadmodule "acc.so"
modparam("acc", "log_flag", 1)
modparam("acc", "db_flag", 1)
modparam("acc", "failed_transaction_flag", 3)
modparam("acc", "db_url", "${dbUrl}")
modparam("acc", "log_extra", "src_user=$fU;dst_user=$rU;src_ip=$si")
modparam("acc", "db_extra", "src_user=$fU;dst_user=$rU;src_ip=$si")
request_route {
  setflag(1);
  if ($rU == "fail") setflag(3);
  $du = "sip:127.0.0.1:${backend}";
  t_relay();
}
`;
}

for (const kind of ['postgres', 'mysql'] as const) {
  const missing = kind === 'postgres' ? missingPostgres() : missingMariadb();
  describe(`acc on ${kind}`, { skip: missing ?? false, timeout: 120_000 }, () => {
    let server: PgServer | MyServer | null = null;
    let dsd: Dsd | null = null;
    let be: UdpPeer | null = null;
    let ua: UdpPeer | null = null;
    let url = '';
    const dir = tmpDir('dsd-accdb-');
    let px = 0;

    before(async () => {
      server = kind === 'postgres' ? await startPostgres() : await startMariadb();
      assert.ok(server, `${kind} server`);
      url = await server.createDatabase('acc_test');
      const [p, b] = await freePorts(2);
      px = p;
      be = await UdpPeer.open({
        host: '127.0.0.1',
        port: b,
        answer: (req) => (req.text.startsWith('MESSAGE sip:fail@') ? null : answer200(req)),
      });
      ua = await UdpPeer.open({ host: '127.0.0.1', port: 0 });
      const text = cfg(px, b, url, kind === 'postgres' ? 'db_postgres' : 'db_mysql');
      fs.writeFileSync(path.join(dir, 'acc.cfg'), text);
      const init1 = dsdRun(['db', 'init', '-f', path.join(dir, 'acc.cfg')]);
      assert.equal(init1.code, 0, init1.out);
      assert.match(init1.out, /created table acc\n[^]*created column acc\.src_user\n/);
      const init2 = dsdRun(['db', 'init', '-f', path.join(dir, 'acc.cfg')]);
      assert.equal(init2.code, 0, init2.out);
      assert.doesNotMatch(init2.out, /created/);
      dsd = await startDsd({
        cfg: text.replace('loadmodule "sl.so"', 'loadmodule "sl.so"\nmodparam("tm", "fr_timer", 1000)'),
      });
    });

    after(async () => {
      await ua?.close();
      await be?.close();
      if (dsd) await dsd.stop();
      await server?.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('a 200 and a local 408 become rows with the values of their ACC lines', async () => {
      for (const user of ['bob', 'fail']) {
        const callId = `accdb-${user}@test`;
        const mark = ua!.received.length;
        await ua!.send(
          `MESSAGE sip:${user}@127.0.0.1:${px} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${ua!.port};branch=z9hG4bKaccdb${user};rport\r\n` +
            `From: <sip:alice@a.example>;tag=ft-${user}\r\nTo: <sip:${user}@b.example>\r\nCall-ID: ${callId}\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
          px,
        );
        await ua!.waitFor((m) => callIdOf(m.text) === callId && statusOf(m.text) >= 200, 15_000, mark);
      }
      const lines = await waitUntil(
        () => {
          const ls = dsd!
            .output()
            .split('\n')
            .filter((l) => l.includes('ACC: '))
            .map((l) => (JSON.parse(l) as { msg: string }).msg);
          return ls.length >= 2 ? ls : null;
        },
        { what: 'two ACC lines' },
      );
      const rows = await waitUntil(
        async () => {
          const db = await openDb(url);
          try {
            const rs = await db.query<Record<string, unknown>>(
              'select method, from_tag, to_tag, callid, sip_code, sip_reason, time, src_user, dst_user, src_ip from acc order by id',
            );
            return rs.length >= 2 ? rs : null;
          } finally {
            await db.close();
          }
        },
        { what: 'two acc rows' },
      );
      assert.equal(rows.length, 2);
      for (let i = 0; i < 2; i++) {
        const r = at(rows, i);
        const fromLine = at(lines, i).replace(/^ACC: transaction answered: timestamp=\d+;/, '');
        const fromRow = `method=${r.method};from_tag=${r.from_tag};to_tag=${r.to_tag};call_id=${r.callid};code=${r.sip_code};reason=${r.sip_reason};src_user=${r.src_user};dst_user=${r.dst_user};src_ip=${r.src_ip}`;
        assert.equal(fromRow, fromLine);
        assert.ok(
          r.time instanceof Date || /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(String(r.time)),
          `time ${String(r.time)}`,
        );
      }
      assert.match(at(lines, 1), /;code=408;reason=Request Timeout;/);
    });
  });
}
