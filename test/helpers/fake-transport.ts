/**
 * A transport that binds nothing: tests hand it messages as if they arrived from a peer
 * and read what the layers above sent. The transaction layer and the proxy core take a
 * Transport, so they run against this exactly as against sockets (sipgo's fakes/ idea).
 */
import type { LocalSocket, Proto, Source, Target, Transport, TransportEvents } from '../../src/transport/types';

export interface Sent {
  readonly target: Target;
  readonly text: string;
}

export function fakeSocket(id: number, proto: Proto, ip: string, port: number): LocalSocket {
  return { id, proto, ip, port, family: 4, advHost: ip, advPort: port, text: `${proto}:${ip}:${port}` };
}

export class FakeTransport implements Transport {
  readonly sockets: LocalSocket[];
  readonly sent: Sent[] = [];
  /** When true, send() refuses as a transport with no route would. */
  refuse = false;
  private events: TransportEvents | null = null;

  constructor(sockets: LocalSocket[] = [fakeSocket(0, 'udp', '127.0.0.1', 5060)]) {
    this.sockets = sockets;
  }

  async start(events: TransportEvents): Promise<void> {
    this.events = events;
  }

  send(target: Target, buf: Buffer): boolean {
    if (this.refuse) return false;
    this.sent.push({ target, text: buf.toString('latin1') });
    return true;
  }

  selectSocket(proto: Proto, family: 4 | 6): LocalSocket | null {
    return this.sockets.find((s) => s.proto === proto && s.family === family) ?? null;
  }

  async close(): Promise<void> {
    this.events = null;
  }

  /** Delivers `text` as received over UDP from ip:port on the first socket. */
  inject(text: string, ip = '127.0.0.1', port = 5070): void {
    const local = this.sockets[0];
    if (!this.events || !local) throw new Error('transport not started');
    const src: Source = { proto: 'udp', ip, port, local };
    this.events.onMessage(Buffer.from(text, 'latin1'), src);
  }

  /** Removes and returns everything sent so far. */
  take(): Sent[] {
    return this.sent.splice(0, this.sent.length);
  }
}

/** A request or reply from lines (CRLF joined, blank line and Content-Length added). */
export function sipText(lines: string[]): string {
  return `${lines.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`;
}

/** The first line of a message we sent. */
export function firstLine(s: Sent): string {
  return s.text.slice(0, s.text.indexOf('\r\n'));
}
