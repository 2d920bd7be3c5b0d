/** ws.dump and ws.close, answered as Kamailio 5.6's websocket module answers them. */
import type { MethodRegistry } from '../../control/registry';
import { RpcError } from '../../rpc-api/errors';
import type { WsTransport } from '../../transport/ws';

export function registerWsRpc(registry: MethodRegistry, ws: WsTransport): void {
  registry.register('ws.dump', () => {
    const now = Date.now();
    const connections = [...ws.conns.values()].map((c) => {
      const pong = c.awaitingPong ? 'awaiting Pong, ' : '';
      return (
        `${c.id}: ${c.proto}:${c.remoteIp}:${c.remotePort} -> ${c.proto}:${c.local.ip}:${c.local.port} ` +
        `(state: ${c.state}, ${pong}last used ${Math.floor((now - c.lastUse) / 1000)}s ago, sub-protocol: sip)`
      );
    });
    return { connections, info: { wscounter: connections.length, truncated: 'no' } };
  });
  registry.register('ws.close', (call) => {
    const id = Number(call.args[0]);
    if (!Number.isInteger(id)) throw new RpcError(500, 'Invalid Parameters');
    if (!ws.closeConn(id)) throw new RpcError(500, 'Unknown connection ID');
    return null;
  });
}
