/** acc in the cfg language: the module, its modparams, and the acc_*_request functions. */
import type { Reg, Services } from '../services';
import type { AccRuntime } from './runtime';
import type { ModParamType } from '../../script';

/** acc_mod.c's param_export_t (5.6); readAccParams says which dsd refuses. */
const ACC_MODPARAMS: Readonly<Record<string, ModParamType>> = {
  early_media: 'int',
  failed_transaction_flag: 'int',
  failed_filter: 'str',
  report_ack: 'int',
  report_cancels: 'int',
  multi_leg_info: 'str',
  detect_direction: 'int',
  acc_prepare_flag: 'int',
  acc_prepare_always: 'int',
  reason_from_hf: 'int',
  acc_extra_nullable: 'int',
  log_flag: 'int',
  log_missed_flag: 'int',
  log_level: 'int',
  log_facility: 'str',
  log_extra: 'str',
  cdr_enable: 'int',
  cdr_skip: 'str',
  cdr_log_enable: 'int',
  cdr_start_on_confirmed: 'int',
  cdr_facility: 'str',
  cdr_extra: 'str',
  cdr_extra_nullable: 'int',
  cdr_start_id: 'str',
  cdr_end_id: 'str',
  cdr_duration_id: 'str',
  cdr_expired_dlg_enable: 'int',
  db_flag: 'int',
  db_missed_flag: 'int',
  db_extra: 'str',
  db_url: 'str',
  db_table_acc: 'str',
  db_table_missed_calls: 'str',
  acc_method_column: 'str',
  acc_from_tag_column: 'str',
  acc_to_tag_column: 'str',
  acc_callid_column: 'str',
  acc_sip_code_column: 'str',
  acc_sip_reason_column: 'str',
  acc_time_column: 'str',
  db_insert_mode: 'int',
  time_mode: 'int',
  time_attr: 'str',
  time_exten: 'str',
  cdrs_table: 'str',
  time_format: 'str',
  clone_msg: 'int',
  cdr_on_failed: 'int',
  acc_extra_size: 'int',
  cdr_extra_size: 'int',
};

function accOf(svc: Services): AccRuntime {
  if (!svc.acc) throw new Error('acc not started');
  return svc.acc;
}

export function registerAcc(reg: Reg, svc: Services): void {
  reg.registerModule({ name: 'acc', params: ACC_MODPARAMS });
  reg.registerFunction({
    name: 'acc_log_request',
    module: 'acc',
    params: ['fmt'],
    exec: (ctx, comment: string) => accOf(svc).request(ctx, comment, { log: true, table: null }),
  });
  reg.registerFunction({
    name: 'acc_db_request',
    module: 'acc',
    params: ['fmt', 'fmt'],
    exec: (ctx, comment: string, table: string) => accOf(svc).request(ctx, comment, { log: false, table }),
  });
  reg.registerFunction({
    name: 'acc_request',
    module: 'acc',
    params: ['fmt', 'fmt'],
    exec: (ctx, comment: string, table: string) => accOf(svc).request(ctx, comment, { log: true, table }),
  });
}
