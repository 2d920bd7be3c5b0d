/** tls in the cfg language: `loadmodule "tls.so"` and its modparams (read by the daemon at start). */
import type { Reg } from '../services';

const KNOWN = new Set([
  'config',
  'tls_method',
  'certificate',
  'private_key',
  'ca_list',
  'crl',
  'verify_certificate',
  'require_certificate',
  'verify_depth',
  'cipher_list',
  'server_name',
  'connection_timeout',
  'tls_log',
  'tls_debug',
  'session_cache',
  'session_id',
  'renegotiation',
  'low_mem_threshold1',
  'low_mem_threshold2',
  'tls_force_run',
  'xavp_cfg',
  'send_close_notify',
  'con_ct_wq_max',
  'ct_wq_max',
  'ct_wq_blk_size',
  'ssl_release_buffers',
  'ssl_freelist_max_len',
  'ssl_max_send_fragment',
  'ssl_read_ahead',
  'init_mode',
  'engine',
  'engine_config',
  'engine_algorithms',
  'rand_engine',
  'keylog_mode',
  'keylog_file',
  'keylog_peer',
]);

const INT = new Set([
  'verify_certificate',
  'require_certificate',
  'verify_depth',
  'connection_timeout',
  'tls_log',
  'tls_debug',
  'session_cache',
  'renegotiation',
  'low_mem_threshold1',
  'low_mem_threshold2',
  'tls_force_run',
  'send_close_notify',
  'con_ct_wq_max',
  'ct_wq_max',
  'ct_wq_blk_size',
  'ssl_release_buffers',
  'ssl_freelist_max_len',
  'ssl_max_send_fragment',
  'ssl_read_ahead',
  'init_mode',
  'keylog_mode',
]);

export function registerTls(reg: Reg): void {
  reg.registerModule({
    name: 'tls',
    params: Object.fromEntries([...KNOWN].map((n) => [n, INT.has(n) ? 'int' : 'str'])) as Record<string, 'int' | 'str'>,
    onParam: (name, value) => {
      if (!KNOWN.has(name)) return `unknown tls parameter '${name}'`;
      if (name === 'verify_depth' && !(Number(value) >= 0)) return 'verify_depth must be a number >= 0';
    },
  });
}
