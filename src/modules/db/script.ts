/**
 * `loadmodule "db_sqlite.so"` / `"db_postgres.so"` / `"db_mysql.so"`: in Kamailio they are
 * the drivers db_url binds to by its scheme; in dsd they select the built-in driver
 * (src/db) and must agree with db_url (checkDbModule). Registered as implemented so the
 * cfg engine does not warn that they have no effect. Their Kamailio 5.6 modparams are
 * accepted (and ignored: timeouts and retries are dsd's own), anything else is an error.
 */
import type { Reg } from '../services';

type T = 'int' | 'str';

export const DB_MODULES: readonly string[] = ['db_sqlite', 'db_postgres', 'db_mysql'];

/** Kamailio 5.6 modparams of the three driver modules. */
const DB_MODULE_PARAMS: Readonly<Record<string, Readonly<Record<string, T>>>> = {
  db_postgres: {
    retries: 'int',
    lockset: 'int',
    timeout: 'int',
    tcp_keepalive: 'int',
    bytea_output_escape: 'int',
    con_param: 'str',
  },
  db_mysql: {
    ping_interval: 'int',
    connect_timeout: 'int',
    send_timeout: 'int',
    receive_timeout: 'int',
    retries: 'int',
    server_timezone: 'int',
    timeout_interval: 'int',
    auto_reconnect: 'int',
    insert_delayed: 'int',
    update_affected_found: 'int',
    unsigned_type: 'int',
    opt_ssl_mode: 'int',
  },
  db_sqlite: { db_set_readonly: 'str', db_set_journal_mode: 'str' },
};

export function registerDbModules(reg: Reg): void {
  for (const [name, params] of Object.entries(DB_MODULE_PARAMS)) reg.registerModule({ name, params: { ...params } });
}
