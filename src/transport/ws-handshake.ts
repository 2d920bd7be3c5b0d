/**
 * The WebSocket opening handshake checks of Kamailio's websocket module
 * (ws_handle_handshake): Connection must name "upgrade", Upgrade "websocket",
 * Sec-WebSocket-Key and -Version once each, version 13 (else 426 with
 * Sec-WebSocket-Version: 13), and a sub-protocol we serve ("sip"), else 400 with the
 * protocols and version we take. Replies are Kamailio's, header for header.
 */
import crypto from 'node:crypto';

export interface HandshakeVerdict {
  code: number;
  reason: string;
  /** Header lines of the reply (without Server / Content-Length). */
  headers: string[];
  /** On 101: the sub-protocol and accept key. */
  protocol?: string;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** rawHeaders as node:http gives them: [name, value, name, value, …]. */
export function checkHandshake(raw: readonly string[], corsMode = 0): HandshakeVerdict {
  let connection = false;
  let upgrade = false;
  let key: string | null = null;
  let version = false;
  let sip = false;
  let origin: string | null = null;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    const value = raw[i + 1] ?? '';
    const lower = value.toLowerCase();
    if (name === 'connection') {
      if (lower.includes('upgrade')) connection = true;
    } else if (name === 'upgrade') {
      if (lower.includes('websocket')) upgrade = true;
    } else if (name === 'sec-websocket-key') {
      if (key !== null) return { code: 400, reason: 'Bad Request', headers: [] };
      key = value.trim();
    } else if (name === 'sec-websocket-protocol') {
      if (lower.includes('sip')) sip = true;
    } else if (name === 'sec-websocket-version') {
      if (version) return { code: 400, reason: 'Bad Request', headers: [] };
      if (parseInt(value.trim(), 10) !== 13) {
        return { code: 426, reason: 'Upgrade Required', headers: ['Sec-WebSocket-Version: 13'] };
      }
      version = true;
    } else if (name === 'origin') {
      if (origin !== null) return { code: 400, reason: 'Bad Request', headers: [] };
      origin = value;
    }
  }
  if (!connection || !upgrade || key === null || !version || !sip) {
    return { code: 400, reason: 'Bad Request', headers: ['Sec-WebSocket-Protocol: sip', 'Sec-WebSocket-Version: 13'] };
  }
  const accept = crypto
    .createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  const headers: string[] = [];
  if (corsMode === 1) headers.push('Access-Control-Allow-Origin: *');
  else if (corsMode === 2 && origin) headers.push(`Access-Control-Allow-Origin: ${origin}`);
  headers.push(
    'Sec-WebSocket-Protocol: sip',
    'Upgrade: websocket',
    'Connection: upgrade',
    `Sec-WebSocket-Accept: ${accept}`,
  );
  return { code: 101, reason: 'Switching Protocols', headers, protocol: 'sip' };
}
