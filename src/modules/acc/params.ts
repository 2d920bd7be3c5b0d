/**
 * acc's modparams with Kamailio 5.6 defaults (acc_mod.c), read from the loaded module
 * and checked the way mod_init does: flags are 0..31 (or -1, off), extras parse, a DB
 * flag needs db_url. Parameters dsd does not implement (cdr_*, multi_leg_info,
 * detect_direction, db_insert_mode>0 …) are refused when set to something other than
 * their default, so a config never silently accounts differently.
 */
import type { LoadedModule } from '../../script';
import { parseExtra, AccExtraSpec } from './extra';
import { AccError } from './errors';

export interface AccParams {
  earlyMedia: boolean;
  failedTransactionFlag: number;
  /** Codes never accounted as failed transactions (failed_filter "404,407"). */
  failedFilter: ReadonlySet<number>;
  reportAck: boolean;
  reportCancels: boolean;
  reasonFromHf: boolean;
  extraNullable: boolean;
  logFlag: number;
  logMissedFlag: number;
  /** Kamailio level number (L_NOTICE = 1 by default). */
  logLevel: number;
  logFacility: string;
  logExtra: readonly AccExtraSpec[];
  dbFlag: number;
  dbMissedFlag: number;
  dbExtra: readonly AccExtraSpec[];
  dbUrl: string | null;
  tableAcc: string;
  tableMissed: string;
  cols: {
    method: string;
    fromTag: string;
    toTag: string;
    callId: string;
    sipCode: string;
    sipReason: string;
    time: string;
  };
  timeMode: number;
}

const FACILITIES = new Set([
  'LOG_AUTH',
  'LOG_AUTHPRIV',
  'LOG_CRON',
  'LOG_DAEMON',
  'LOG_FTP',
  'LOG_KERN',
  'LOG_LOCAL0',
  'LOG_LOCAL1',
  'LOG_LOCAL2',
  'LOG_LOCAL3',
  'LOG_LOCAL4',
  'LOG_LOCAL5',
  'LOG_LOCAL6',
  'LOG_LOCAL7',
  'LOG_LPR',
  'LOG_MAIL',
  'LOG_NEWS',
  'LOG_SYSLOG',
  'LOG_USER',
  'LOG_UUCP',
]);

/** Parameters accepted only at their Kamailio default (features dsd does not have). */
const ONLY_DEFAULT: Readonly<Record<string, number | string>> = {
  multi_leg_info: '',
  detect_direction: 0,
  acc_prepare_flag: -1,
  acc_prepare_always: 0,
  cdr_enable: 0,
  db_insert_mode: 0,
};

export function readAccParams(m: LoadedModule): AccParams {
  const str = (n: string, d: string): string => {
    const v = m.param(n);
    return v === undefined ? d : String(v);
  };
  const int = (n: string, d: number): number => {
    const v = m.param(n);
    if (v === undefined) return d;
    const x = typeof v === 'number' ? v : Number(v);
    if (!Number.isInteger(x)) throw new AccError(`modparam("acc", "${n}"): not an integer: ${v}`);
    return x;
  };
  const flag = (n: string): number => {
    const f = int(n, -1);
    if (f < -1 || f > 31) throw new AccError(`modparam("acc", "${n}"): flag ${f} out of range (0..31, or -1 for off)`);
    return f;
  };
  for (const [n, d] of Object.entries(ONLY_DEFAULT)) {
    const v = m.param(n);
    if (v !== undefined && String(v) !== String(d))
      throw new AccError(`modparam("acc", "${n}"): not supported by dsd (only ${JSON.stringify(d)})`);
  }
  const facility = str('log_facility', 'LOG_DAEMON').toUpperCase();
  if (!FACILITIES.has(facility)) throw new AccError(`modparam("acc", "log_facility"): unknown facility ${facility}`);
  const timeMode = int('time_mode', 0);
  if (timeMode !== 0) throw new AccError('modparam("acc", "time_mode"): only 0 (timestamp only) is supported by dsd');
  const failedFilter = new Set<number>();
  for (const part of str('failed_filter', '').split(',')) {
    const t = part.trim();
    if (t === '') continue;
    const c = Number(t);
    if (!Number.isInteger(c) || c < 300 || c > 699)
      throw new AccError(`modparam("acc", "failed_filter"): bad code ${t}`);
    failedFilter.add(c);
  }
  const dbUrl = m.param('db_url') === undefined ? null : str('db_url', '');
  const p: AccParams = {
    earlyMedia: int('early_media', 0) !== 0,
    failedTransactionFlag: flag('failed_transaction_flag'),
    failedFilter,
    reportAck: int('report_ack', 0) !== 0,
    reportCancels: int('report_cancels', 0) !== 0,
    reasonFromHf: int('reason_from_hf', 0) !== 0,
    extraNullable: int('acc_extra_nullable', 0) !== 0,
    logFlag: flag('log_flag'),
    logMissedFlag: flag('log_missed_flag'),
    logLevel: int('log_level', 1),
    logFacility: facility,
    logExtra: parseExtra(str('log_extra', ''), 'log_extra'),
    dbFlag: flag('db_flag'),
    dbMissedFlag: flag('db_missed_flag'),
    dbExtra: parseExtra(str('db_extra', ''), 'db_extra'),
    dbUrl: dbUrl === '' ? null : dbUrl,
    tableAcc: str('db_table_acc', 'acc'),
    tableMissed: str('db_table_missed_calls', 'missed_calls'),
    cols: {
      method: str('acc_method_column', 'method'),
      fromTag: str('acc_from_tag_column', 'from_tag'),
      toTag: str('acc_to_tag_column', 'to_tag'),
      callId: str('acc_callid_column', 'callid'),
      sipCode: str('acc_sip_code_column', 'sip_code'),
      sipReason: str('acc_sip_reason_column', 'sip_reason'),
      time: str('acc_time_column', 'time'),
    },
    timeMode,
  };
  if (p.reportAck)
    throw new AccError(
      'modparam("acc", "report_ack"): not supported by dsd (2xx ACKs are relayed without a transaction)',
    );
  if ((p.dbFlag >= 0 || p.dbMissedFlag >= 0) && p.dbUrl === null) {
    throw new AccError('modparam("acc", "db_flag"/"db_missed_flag") needs modparam("acc", "db_url", …)');
  }
  return p;
}
