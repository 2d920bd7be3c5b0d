/**
 * What the control socket offers the operator about the daemon itself: corex.debug (the log
 * level at run time, as Kamailio's corex module) and the audit trail — one NOTICE line for
 * every call that changes something, whichever protocol carried it (the method registry
 * calls the sink), with the method, its parameters, the caller as far as known and the result.
 */
import type { AuditRecord, MethodRegistry } from '../control/registry';
import type { Logger } from '../core/log';
import { RpcError } from '../rpc-api/errors';

/** Kamailio's lowest (L_ALERT) and a generous highest debug number. */
const MIN_DEBUG = -5;
const MAX_DEBUG = 7;

export function registerLogMethods(registry: MethodRegistry, log: Logger): void {
  registry.register('corex.debug', (call) => {
    const old = log.getDebug();
    const level = call.args[0];
    if (level === undefined || level === null) return { debug: old };
    if (typeof level !== 'number' || !Number.isInteger(level) || level < MIN_DEBUG || level > MAX_DEBUG) {
      throw RpcError.of('invalidParameters', `level must be an integer from ${MIN_DEBUG} to ${MAX_DEBUG}`);
    }
    log.setDebug(level);
    return { old, new: level };
  });
}

/**
 * The audit sink. The peer is who the transport could name (src/control/peer-cred.ts):
 * SO_PEERCRED on Unix stream sockets, the sender's socket file owner on Unix datagrams,
 * the reply FIFO's owner on the jsonrpcs FIFO (a claim: see peer_source); a network
 * peer's address otherwise. `peer_uid: null` comes with `peer_error` saying why.
 */
export function auditSink(log: Logger): (r: AuditRecord) => void {
  return (r) => {
    const p = r.peer;
    const fields = {
      audit: true,
      method: r.method,
      params: r.params ?? [],
      ok: r.ok,
      ...(r.ok ? { result: r.result } : { error: r.fault }),
      transport: r.caller?.transport ?? null,
      endpoint: r.caller?.endpoint ?? null,
      ...(r.caller?.remote !== undefined ? { remote: r.caller.remote } : {}),
      peer_uid: p.uid,
      peer_gid: p.gid,
      peer_pid: p.pid,
      peer_source: p.source,
      ...(p.error !== undefined ? { peer_error: p.error } : {}),
      ms: Math.round(r.ms * 10) / 10,
    };
    if (r.ok) log.notice(`rpc ${r.method}: ok`, fields);
    else log.warn(`rpc ${r.method}: failed: ${r.fault?.message ?? 'error'}`, fields);
  };
}
