/**
 * tls.reload, tls.list and tls.info, answered as Kamailio 5.6's tls module answers them
 * (same keys, same reload text).
 */
import type { MethodRegistry } from '../../control/registry';
import { RpcError } from '../../rpc-api/errors';
import type { TlsTransport } from '../../transport/tls';

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function registerTlsRpc(
  registry: MethodRegistry,
  tls: TlsTransport,
  maxConnections: number,
  idleMs: number,
): void {
  registry.register('tls.reload', () => {
    try {
      tls.reload();
    } catch (e) {
      throw new RpcError(500, `Error while loading TLS configuration file: ${(e as Error).message}`);
    }
    return 'Ok. TLS configuration reloaded.';
  });
  registry.register('tls.list', () =>
    [...tls.conns].map((c) => {
      const s = c.socket;
      const cipher = c.established ? s.getCipher() : null;
      return {
        id: c.id,
        dom: c.profile,
        sni: c.sni,
        timestamp: stamp(c.createdAt),
        timeout: Math.max(0, Math.round((c.lastUse + idleMs - Date.now()) / 1000)),
        // as Kamailio: src is the peer, dst our side
        src_ip: c.remoteIp,
        src_port: c.remotePort,
        dst_ip: c.local.ip,
        dst_port: c.local.port,
        cipher: cipher ? `${s.getProtocol() ?? ''} ${cipher.standardName ?? cipher.name}`.trim() : 'unknown',
        ct_wq_size: s.writableLength,
        enc_rd_buf: s.readableLength,
        flags: c.outbound ? 1 : 0,
        state: c.established ? 'established' : c.outbound ? 'tls_connect' : 'tls_accept',
      };
    }),
  );
  registry.register('tls.info', () => ({
    max_connections: maxConnections,
    opened_connections: tls.conns.size,
    clear_text_write_queued_bytes: [...tls.conns].reduce((n, c) => n + c.socket.writableLength, 0),
  }));
}
