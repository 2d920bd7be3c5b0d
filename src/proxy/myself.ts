/**
 * "myself" (Kamailio's check_self): a host and port this proxy listens on or answers to
 * (the listen sockets, their advertised names, `alias=`).
 */
import { bareHost, type SipUri } from '../sip/uri';
import type { LocalSocket } from '../transport/types';

export class Myself {
  private readonly hosts = new Set<string>();

  /** The sockets are read at each check: they are known only once the transport started. */
  constructor(private readonly sockets: () => readonly LocalSocket[]) {}

  /** Learns the sockets' addresses and names, and the aliases; called once they are bound. */
  learn(aliases: readonly string[]): void {
    for (const s of this.sockets()) {
      this.hosts.add(s.ip.toLowerCase());
      this.hosts.add(bareHost(s.advHost).toLowerCase());
    }
    for (const a of aliases) this.hosts.add(bareHost(a).toLowerCase());
  }

  is(host: string, port: number | null): boolean {
    if (!this.hosts.has(bareHost(host).toLowerCase())) return false;
    const p = port ?? 5060;
    for (const s of this.sockets()) if (s.port === p || s.advPort === p) return true;
    return false;
  }

  isUri(u: SipUri): boolean {
    return this.is(u.host, u.port ?? (u.scheme === 'sips' ? 5061 : 5060));
  }
}
