// Kamailio 5.6 script function signatures (name, module, parameter fixups per
// overload, allowed route types) and module parameter types, taken from the
// modules' cmd_export_t/param_export_t tables. Real implementations register
// against these names; `dsd -c` uses them even where no implementation exists.
import type { ModParamType, ParamKind } from './param-kinds';
import { RouteType as R } from './route-types';

export interface KamailioFunctionSignature {
  readonly name: string;
  /** null for core functions */
  readonly module: string | null;
  /** Allowed parameter lists, one per accepted argument count. */
  readonly variants: readonly (readonly ParamKind[])[];
  /** RouteType bits where the function may appear. */
  readonly routes: number;
}

type V = readonly (readonly ParamKind[])[];
const sigs: KamailioFunctionSignature[] = [];
function def(module: string | null, routes: number, variants: V, ...names: string[]): void {
  for (const name of names) sigs.push({ name, module, variants, routes });
}

const NONE: V = [[]];
const RTFB = R.REQUEST | R.TM_ONREPLY | R.FAILURE | R.BRANCH;

// core (statements such as drop/exit/return/route are language, not functions)
def(null, R.ANY, [['flag']], 'setflag', 'resetflag', 'isflagset');
def(
  null,
  R.REQUEST | R.FAILURE | R.BRANCH | R.ONREPLY,
  [[], ['fmt'], ['fmt', 'int']],
  'forward',
  'forward_udp',
  'forward_tcp',
  'forward_tls',
);
def(
  null,
  R.ANY,
  NONE,
  'force_rport',
  'add_rport',
  'add_local_rport',
  'revert_uri',
  'clear_branches',
  'set_forward_no_connect',
  'set_reply_no_connect',
  'set_forward_close',
  'set_reply_close',
);
def(null, R.ANY, [[], ['int']], 'force_tcp_alias', 'add_tcp_alias');
def(null, R.ANY, [['flag'], ['flag', 'int']], 'setbflag', 'resetbflag', 'isbflagset');
def(null, R.ANY, [['flag']], 'setsflag', 'resetsflag', 'issflagset');
def(null, R.ANY, [['int']], 'strip', 'strip_tail');
def(
  null,
  R.ANY,
  [['str']],
  'prefix',
  'rewriteuri',
  'seturi',
  'rewritehost',
  'sethost',
  'seth',
  'rewriteport',
  'setport',
  'setp',
  'rewriteuser',
  'setuser',
  'setu',
  'rewritehostport',
  'sethostport',
  'sethp',
  'rewriteuserpass',
  'setuserpass',
  'setup',
  'set_advertised_address',
  'force_send_socket',
);
def(null, R.ANY, [['int']], 'set_advertised_port');
def(null, R.ANY, [[], ['fmt'], ['fmt', 'str']], 'append_branch');
def(null, R.ANY, [[], ['int']], 'remove_branch');

// sl
def('sl', R.REQUEST, [['igp', 'fmt']], 'sl_send_reply', 'sl_reply');
def('sl', R.REQUEST | R.ONREPLY | R.FAILURE, [['igp', 'fmt']], 'send_reply');
def('sl', R.REQUEST, NONE, 'sl_reply_error');
def('sl', R.ONREPLY, [[], ['fmt'], ['fmt', 'fmt']], 'sl_forward_reply');

// tm
def('tm', R.REQUEST | R.FAILURE, [[], ['str', 'int']], 't_relay', 't_relay_to_udp', 't_relay_to_tcp', 't_relay_to_tls');
def('tm', R.REQUEST | R.FAILURE, [[], ['str'], ['str', 'int']], 't_relay_to');
def('tm', R.REQUEST | R.ONREPLY | R.FAILURE, [['igp', 'sgp']], 't_reply', 't_send_reply');
def(
  'tm',
  R.REQUEST,
  NONE,
  't_newtran',
  't_lookup_request',
  't_retransmit_reply',
  't_release',
  't_relay_cancel',
  't_save_lumps',
  't_forward_nonack_uri',
  't_next_contact_flow',
);
def('tm', R.REQUEST, [[], ['int']], 't_lookup_cancel');
def('tm', R.REQUEST, [[], ['fmt'], ['str', 'int']], 't_replicate');
def('tm', R.REQUEST, [['str', 'int']], 't_forward_nonack', 't_replicate_udp', 't_replicate_tcp');
def('tm', RTFB, [['failure_route']], 't_on_failure');
def('tm', RTFB, [['str']], 't_on_branch_failure');
def('tm', RTFB, [['onreply_route']], 't_on_reply');
def('tm', R.REQUEST | R.FAILURE, [['branch_route']], 't_on_branch');
def('tm', R.REQUEST | R.FAILURE | R.ONREPLY, [['regex']], 't_check_status');
def('tm', RTFB, [['igp'], ['igp', 'igp']], 't_set_fr');
def('tm', RTFB, [['igp', 'igp']], 't_set_retr', 't_set_max_lifetime');
def(
  'tm',
  RTFB,
  NONE,
  't_reset_fr',
  't_reset_retr',
  't_reset_max_lifetime',
  't_any_timeout',
  't_any_replied',
  't_is_canceled',
  't_is_expired',
);
def('tm', R.REQUEST, [['igp']], 't_set_auto_inv_100');
def(
  'tm',
  RTFB,
  [['igp']],
  't_set_disable_6xx',
  't_set_disable_failover',
  't_set_no_e2e_cancel_reason',
  't_disable_e2e_cancel_reason',
  't_set_disable_internal_reply',
  't_grep_status',
);
def('tm', R.FAILURE | R.EVENT, NONE, 't_branch_timeout', 't_branch_replied');
def('tm', R.TM_ONREPLY, NONE, 't_is_retr_async_reply');
def('tm', R.FAILURE, [[], ['str']], 't_drop_replies');
def('tm', R.REQUEST | R.ONREPLY | R.BRANCH, NONE, 't_check_trans');
def('tm', R.ANY, [['str']], 't_is_set');
def('tm', R.ANY, NONE, 't_use_uac_headers', 't_clean');
def('tm', R.ANY, [['fmt', 'fmt', 'fmt', 'fmt', 'fmt', 'fmt']], 't_uac_send');
def('tm', R.REQUEST | R.ONREPLY | R.FAILURE | R.BRANCH, NONE, 't_get_status_code');
def('tm', R.REQUEST | R.FAILURE, [[], ['igp']], 't_load_contacts');
def('tm', R.REQUEST | R.FAILURE, NONE, 't_next_contacts');

// tmx
def('tmx', R.REQUEST, NONE, 't_precheck_trans');
def('tmx', R.ONREPLY, [['str']], 't_cancel_branches');
def(
  'tmx',
  R.ANY,
  [
    ['fmt', 'fmt', 'igp'],
    ['fmt', 'fmt', 'igp', 'igp'],
  ],
  't_cancel_callid',
);
def('tmx', R.ANY, [['fmt', 'fmt', 'igp', 'fmt']], 't_reply_callid');
def(
  'tmx',
  R.ANY,
  NONE,
  't_flush_flags',
  't_flush_xflags',
  't_is_failure_route',
  't_is_branch_route',
  't_is_reply_route',
  't_is_request_route',
  't_suspend',
);
def('tmx', R.ANY, [['igp', 'igp', 'str']], 't_continue');
def('tmx', R.EVENT, NONE, 't_reuse_branch');
def('tmx', R.ANY, [[], ['igp']], 't_drop');

// rr
def('rr', R.REQUEST, NONE, 'loose_route', 'loose_route_preloaded');
def('rr', R.REQUEST, [['igp']], 'loose_route_mode');
def('rr', R.REQUEST | R.BRANCH | R.FAILURE, [[], ['fmt']], 'record_route');
def('rr', R.REQUEST | R.BRANCH | R.FAILURE, [['fmt'], ['fmt', 'fmt']], 'record_route_preset');
def('rr', R.REQUEST | R.BRANCH | R.FAILURE, [['fmt']], 'record_route_advertised_address', 'add_rr_param');
def('rr', R.REQUEST, [['regex']], 'check_route_param');
def('rr', R.REQUEST, [['str']], 'is_direction');
def('rr', R.REQUEST | R.FAILURE, NONE, 'remove_record_route');
def('rr', R.ANY, NONE, 'rr_next_hop_route');

// maxfwd
def('maxfwd', R.REQUEST, [['igp']], 'mf_process_maxfwd_header', 'maxfwd_process', 'process_maxfwd');
def('maxfwd', R.REQUEST | R.FAILURE | R.BRANCH, [['igp']], 'is_maxfwd_lt', 'maxfwd_at_least', 'mf_lowlimit');

// sanity
def('sanity', R.REQUEST | R.ONREPLY, [[], ['igp'], ['igp', 'igp']], 'sanity_check');
def('sanity', R.REQUEST | R.ONREPLY, NONE, 'sanity_reply');

// textops
def('textops', R.ANY, [['str']], 'is_method', 'remove_hf', 'is_present_hf');
def('textops', R.ANY, [['regex']], 'remove_hf_re', 'is_present_hf_re', 'search', 'search_body');
def('textops', R.ANY, [['fmt'], ['fmt', 'str']], 'append_hf', 'insert_hf');
def('textops', R.ANY, [[], ['str']], 'has_body');
def('textops', R.REQUEST | R.FAILURE | R.BRANCH, [['fmt']], 'append_to_reply');
def('textops', R.ANY, [['fmt', 'fmt']], 'cmp_str', 'cmp_istr', 'starts_with', 'ends_with', 'search_str');
def('textops', R.REQUEST | R.FAILURE | R.BRANCH | R.ONREPLY, [['fmt', 'fmt']], 'set_body');
def('textops', R.REQUEST | R.FAILURE | R.BRANCH, [['fmt', 'fmt']], 'set_reply_body');
def('textops', R.ANY, [['fmt', 'fmt', 'str']], 'in_list');

// siputils
def('siputils', R.ANY, NONE, 'has_totag', 'is_request', 'is_reply');
def('siputils', R.REQUEST, NONE, 'options_reply');
def('siputils', R.REQUEST | R.LOCAL, [['fmt']], 'is_user');
def('siputils', R.REQUEST | R.BRANCH | R.FAILURE, [['fmt'], ['fmt', 'fmt']], 'uri_param');
def('siputils', R.REQUEST, [['str']], 'add_uri_param');
def('siputils', R.ANY, [['fmt']], 'is_uri', 'is_numeric', 'is_tel_number');
def('siputils', R.ANY, [[], ['igp']], 'is_first_hop');
def('siputils', R.ANY, [['fmt', 'fmt']], 'cmp_uri', 'cmp_aor');

// xlog
def('xlog', R.ANY, [['fmt'], ['fmt', 'fmt'], ['fmt', 'fmt', 'fmt']], 'xlog', 'xlogl');
def('xlog', R.ANY, [['fmt']], 'xdbg', 'xinfo', 'xnotice', 'xwarn', 'xerr', 'xbug', 'xcrit', 'xalert', 'xdbgl');
def('xlog', R.ANY, [['fmt', 'fmt']], 'xlogm');

// pv
def('pv', R.ANY, [['pv']], 'pv_isset', 'is_int', 'not_empty');
def('pv', R.ANY, [['pvw']], 'pv_unset');
def('pv', R.ANY, [['fmt']], 'xavp_rm');
def('pv', R.ANY, [['fmt', 'fmt']], 'xavp_child_rm');
def('pv', R.ANY, [['fmt', 'fmt', 'any']], 'xavp_child_seti', 'xavp_child_sets');
def('pv', R.ANY, NONE, 'pv_xavp_print');

// dispatcher (5.6 plus the later extensions listed in the spec)
def(
  'dispatcher',
  R.ANY,
  [
    ['igp', 'igp'],
    ['igp', 'igp', 'igp'],
  ],
  'ds_select',
);
def(
  'dispatcher',
  R.REQUEST | R.FAILURE,
  [
    ['igp', 'igp'],
    ['igp', 'igp', 'igp'],
  ],
  'ds_select_dst',
  'ds_select_domain',
);
def(
  'dispatcher',
  R.REQUEST | R.FAILURE,
  [
    ['fmt', 'fmt'],
    ['fmt', 'fmt', 'igp'],
  ],
  'ds_select_routes',
);
def('dispatcher', R.REQUEST | R.FAILURE, NONE, 'ds_next_dst', 'ds_next_domain', 'ds_set_dst', 'ds_set_domain');
def('dispatcher', R.REQUEST | R.FAILURE | R.ONREPLY, [[], ['str']], 'ds_mark_dst');
def('dispatcher', R.ANY, [['fmt', 'igp', 'fmt']], 'ds_mark_addr');
def('dispatcher', R.ANY, [[], ['igp'], ['igp', 'igp'], ['igp', 'igp', 'fmt']], 'ds_is_from_list');
def('dispatcher', R.ANY, [['igp']], 'ds_list_exist', 'ds_list_exists', 'ds_dsg_fetch');
def('dispatcher', R.ANY, [[], ['fmt']], 'ds_load_unset');
def('dispatcher', R.ANY, NONE, 'ds_load_update', 'ds_reload');
def('dispatcher', R.ANY, [['igp'], ['igp', 'fmt']], 'ds_is_active');
def('dispatcher', R.ANY, [['igp', 'fmt', 'igp', 'igp', 'igp']], 'ds_oc_set_attrs');
def('dispatcher', R.ANY, [['igp', 'fmt']], 'ds_dsg_fetch_uri');

export const KAMAILIO_FUNCTIONS: readonly KamailioFunctionSignature[] = sigs;

/** Parameter types of the modules dsd implements (Kamailio 5.6, plus newer dispatcher ones). */
export const KAMAILIO_MODPARAMS: Readonly<Record<string, Readonly<Record<string, ModParamType>>>> = {
  tm: Object.fromEntries([
    ...[
      'ruri_matching',
      'via1_matching',
      'callid_matching',
      'callid_cseq_matching',
      'fr_timer',
      'fr_inv_timer',
      'wt_timer',
      'retr_timer1',
      'retr_timer2',
      'max_inv_lifetime',
      'max_noninv_lifetime',
      'noisy_ctimer',
      'auto_inv_100',
      'unix_tx_timeout',
      'restart_fr_on_each_reply',
      'pass_provisional_replies',
      'aggregate_challenges',
      'unmatched_cancel',
      'default_code',
      'reparse_invite',
      'blst_503',
      'blst_503_def_timeout',
      'blst_503_min_timeout',
      'blst_503_max_timeout',
      'blst_methods_add',
      'blst_methods_lookup',
      'cancel_b_method',
      'reparse_on_dns_failover',
      'disable_6xx_block',
      'local_ack_mode',
      'failure_reply_mode',
      'faked_reply_prio',
      'remap_503_500',
      'failure_exec_mode',
      'dns_reuse_rcv_socket',
      'local_cancel_reason',
      'e2e_cancel_reason',
      'relay_100',
      'rich_redirect',
      'exec_time_check',
      'reply_relay_mode',
      'enable_uac_fr',
    ].map((n) => [n, 'int' as const]),
    ...[
      'auto_inv_100_reason',
      'fr_timer_avp',
      'fr_inv_timer_avp',
      'tw_append',
      'default_reason',
      'ac_extra_hdrs',
      'on_sl_reply',
      'contacts_avp',
      'contact_flows_avp',
      'xavp_contact',
      'event_callback',
      'event_callback_lres_sent',
    ].map((n) => [n, 'str' as const]),
  ]),
  tmx: { precheck_trans: 'int' },
  sl: {
    default_code: 'int',
    default_reason: 'str',
    bind_tm: 'int',
    rich_redirect: 'int',
    event_callback_fl_ack: 'str',
    event_callback_lres_sent: 'str',
  },
  rr: {
    append_fromtag: 'int',
    enable_double_rr: 'int',
    enable_full_lr: 'int',
    ignore_user: 'str',
    add_username: 'int',
    enable_socket_mismatch_warning: 'int',
    custom_user_avp: 'str',
    force_send_socket: 'int',
    ignore_sips: 'int',
    sockname_mode: 'int',
  },
  maxfwd: { max_limit: 'int' },
  sanity: { default_checks: 'int', uri_checks: 'int', proxy_require: 'str', autodrop: 'int', noreply: 'int' },
  textops: {},
  siputils: {
    options_accept: 'str',
    options_accept_encoding: 'str',
    options_accept_language: 'str',
    options_support: 'str',
    contact_flds_separator: 'str',
    rpid_prefix: 'str',
    rpid_suffix: 'str',
    rpid_avp: 'str',
  },
  xlog: {
    buf_size: 'int',
    force_color: 'int',
    long_format: 'int',
    prefix: 'str',
    log_facility: 'str',
    log_colors: 'str',
    methods_filter: 'int',
    prefix_mode: 'int',
  },
  pv: { shvset: 'str', varset: 'str', avp_aliases: 'str' },
  jsonrpcs: {
    pretty_format: 'int',
    transport: 'int',
    fifo_name: 'str',
    fifo_mode: 'int',
    fifo_group: 'any',
    fifo_user: 'any',
    fifo_reply_dir: 'str',
    dgram_socket: 'str',
    dgram_workers: 'int',
    dgram_timeout: 'int',
    dgram_mode: 'int',
    dgram_group: 'any',
    dgram_user: 'any',
  },
  ctl: {
    fifo: 'str',
    binrpc: 'str',
    mode: 'int',
    user: 'str',
    group: 'str',
    autoconversion: 'int',
    binrpc_max_body_size: 'int',
    binrpc_struct_max_body_size: 'int',
    binrpc_buffer_size: 'int',
  },
  dispatcher: Object.fromEntries([
    ...[
      'list_file',
      'db_url',
      'table_name',
      'setid_col',
      'destination_col',
      'flags_col',
      'priority_col',
      'attrs_col',
      'xavp_dst',
      'xavp_ctx',
      'hash_pvar',
      'setid_pvname',
      'attrs_pvname',
      'ds_ping_method',
      'ds_ping_from',
      'ds_ping_reply_codes',
      'outbound_proxy',
      'ds_default_socket',
      'ds_default_sockname',
      'ds_ping_socket',
      'event_callback',
      'ds_db_extra_attrs',
    ].map((n) => [n, 'str' as const]),
    ...[
      'force_dst',
      'flags',
      'use_default',
      'xavp_dst_mode',
      'xavp_ctx_mode',
      'ds_probing_threshold',
      'ds_inactive_threshold',
      'ds_ping_interval',
      'ds_ping_fr_timeout',
      'ds_ping_fr_timer',
      'ds_ping_latency_stats',
      'ds_retain_latency_stats',
      'ds_latency_estimator_alpha',
      'ds_probing_mode',
      'ds_hash_size',
      'ds_hash_expire',
      'ds_hash_initexpire',
      'ds_hash_check_interval',
      'ds_timer_mode',
      'event_callback_mode',
      'ds_attrs_none',
      'ds_load_mode',
      'reload_delta',
      'ds_dns_mode',
      'ds_dns_interval',
      'ds_dns_ttl',
      'ds_dns_match_all',
    ].map((n) => [n, 'int' as const]),
  ]),
};

export interface KamailioPvSignature {
  readonly module: string | null;
  /** Takes a name: $name(...) */
  readonly inner: boolean;
  readonly writable: boolean;
}

function pvs(
  module: string | null,
  inner: boolean,
  writable: boolean,
  names: string,
): Array<[string, KamailioPvSignature]> {
  return names
    .split(/\s+/)
    .filter(Boolean)
    .map((n) => [n, { module, inner, writable }]);
}

/** Kamailio 5.6 pseudo-variables by name (for `dsd -c` before the core registers them). */
export const KAMAILIO_PVS: ReadonlyMap<string, KamailioPvSignature> = new Map([
  ...pvs(
    'pv',
    false,
    false,
    `ai adu ar au ad aa aU br bR bs ci cl cs ct cT dd di dip dir dic dp dP ds fsn ft
    mb mi ml mt od op oP ou oU pd pn pp pr prid proto pU pu ra rb rm rmid rP rr rs rt rv Ri Rp RAi RAp Ru RAu Rut
    RAut sf sF si sp su sut td tn tt tU Tb Tf TF Ts TS ua version conid af cnt mts`,
  ),
  ...pvs('pv', false, true, 'du fd fn fs fu fU mf mF rd rp ru rU tu bf bF'),
  ...pvs(
    'pv',
    true,
    false,
    `hdr hdrc hfl hflc time timef TV nh env msg ksr def defn snd sndfrom sndto via0 via1 viaZ
    cfg sel branch`,
  ),
  ...pvs('pv', true, true, 'var vz vn avp xavp xavu xavi shv'),
  ...pvs('tmx', false, false, 'T_reply_code T_branch_idx T_reply_ruid T_reply_reason T_reply_last'),
  ...pvs('tmx', true, false, 'T_req T_rpl T_inv T T_branch'),
  ...pvs('dispatcher', true, false, 'dsv dsg'),
  ...pvs('rr', false, false, 'route_uri fti tti'),
  ...pvs('rr', true, false, 'rdir'),
  ...pvs('siputils', true, false, 'pcv'),
  ...pvs('sl', false, false, 'ltt'),
]);
