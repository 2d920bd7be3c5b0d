/**
 * Flow tokens (RFC 5626 §5.2, as Kamailio's outbound module puts them in Record-Route):
 * the Record-Route entry dsd writes on a WebSocket side carries, in its user part, the
 * browser's address signed with a secret of this run. A request coming back along that
 * route from the far end (a BYE from the callee) is sent to that WebSocket connection,
 * since a browser's Contact (`…@xyz.invalid;transport=ws`) cannot be resolved.
 */
import crypto from 'node:crypto';

const SECRET = crypto.randomBytes(16);
const PREFIX = 'dsdf';

function mac(text: string): string {
  return crypto.createHmac('sha256', SECRET).update(text).digest('base64url').slice(0, 10);
}

/** The user part for a flow to ip:port over proto (ws/wss). */
export function flowToken(proto: string, ip: string, port: number): string {
  const body = `${proto}~${ip.replace(/:/g, '!')}~${port}`;
  return `${PREFIX}${mac(body)}~${body}`;
}

/** The flow a token names, or null when it is not one of ours (or was tampered with). */
export function readFlowToken(
  user: string | null | undefined,
): { proto: 'ws' | 'wss'; ip: string; port: number } | null {
  if (!user || !user.startsWith(PREFIX)) return null;
  const at = user.indexOf('~');
  if (at < 0) return null;
  const sig = user.slice(PREFIX.length, at);
  const body = user.slice(at + 1);
  const want = mac(body);
  if (sig.length !== want.length || !crypto.timingSafeEqual(Buffer.from(sig), Buffer.from(want))) return null;
  const [proto, ip, port] = body.split('~');
  if ((proto !== 'ws' && proto !== 'wss') || !ip || !port) return null;
  return { proto, ip: ip.replace(/!/g, ':'), port: Number(port) };
}
