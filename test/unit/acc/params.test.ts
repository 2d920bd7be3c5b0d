import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoadedModule } from '../../../src/script';
import { readAccParams } from '../../../src/modules/acc/params';
import { parseExtra } from '../../../src/modules/acc/extra';
import { accLogLine } from '../../../src/modules/acc/record';
import { errorText } from '../../../src/modules/acc/reasons';
import { sqliteTime, dbTime } from '../../../src/modules/acc/db-writer';

function mod(params: Record<string, string | number>): LoadedModule {
  const m = new LoadedModule('acc', true, { file: 't', line: 1, col: 1 });
  for (const [name, value] of Object.entries(params))
    m.params.push({ name, value, pos: { file: 't', line: 1, col: 1 } } as never);
  return m;
}

test("defaults are Kamailio 5.6's: everything off, L_NOTICE, LOG_DAEMON, acc and missed_calls", () => {
  const p = readAccParams(mod({}));
  assert.equal(p.logFlag, -1);
  assert.equal(p.failedTransactionFlag, -1);
  assert.equal(p.logLevel, 1);
  assert.equal(p.logFacility, 'LOG_DAEMON');
  assert.equal(p.tableAcc, 'acc');
  assert.equal(p.tableMissed, 'missed_calls');
  assert.equal(p.cols.callId, 'callid');
});

test('bad values are refused: flag range, facility, db flag without db_url, unsupported features', () => {
  assert.throws(() => readAccParams(mod({ log_flag: 32 })), /out of range/);
  assert.throws(() => readAccParams(mod({ log_facility: 'LOG_NOPE' })), /unknown facility/);
  assert.throws(() => readAccParams(mod({ db_flag: 1 })), /needs modparam\("acc", "db_url"/);
  assert.throws(() => readAccParams(mod({ cdr_enable: 1 })), /not supported/);
  assert.throws(() => readAccParams(mod({ failed_filter: '404,abc' })), /bad code/);
  assert.deepEqual([...readAccParams(mod({ failed_filter: '404, 407' })).failedFilter], [404, 407]);
});

test('extras: name=$pv pairs in order; anything else refused', () => {
  assert.deepEqual(parseExtra('src_user=$fU; src_ip=$si;', 'log_extra'), [
    { name: 'src_user', pv: '$fU' },
    { name: 'src_ip', pv: '$si' },
  ]);
  assert.throws(() => parseExtra('src_user', 'log_extra'), /not name=/);
  assert.throws(() => parseExtra('a=b', 'log_extra'), /not a pseudo-variable/);
});

test("the log line is acc_log_request's: text, timestamp, six core attributes, extras ($null empty)", () => {
  const line = accLogLine(
    { kind: 'answered', method: 'INVITE', fromTag: 'f', toTag: 't', callId: 'c@h', code: '200', reason: 'OK', time: 5 },
    [
      { name: 'src_user', value: 'alice' },
      { name: 'dst_user', value: null },
    ],
  );
  assert.equal(
    line,
    'ACC: transaction answered: timestamp=5;method=INVITE;from_tag=f;to_tag=t;call_id=c@h;code=200;reason=OK;src_user=alice;dst_user=',
  );
});

test("local replies are recorded with error_text(code); DB times as Kamailio's drivers write them", () => {
  assert.equal(errorText(408), 'Request Timeout');
  assert.equal(errorText(499), 'Request Failure');
  assert.equal(sqliteTime(0), 2440587.5 - 0.5 / 86400);
  assert.match(dbTime(1_700_000_000), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
});
