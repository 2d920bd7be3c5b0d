/**
 * IPv4 addresses as int32 and back: the linger table keeps a reply address in its row
 * (transaction/linger.ts), and native/udpio hands the source address of a datagram read as
 * a number (transport/udp-native.ts).
 */
/** packIpv4's answer for a text that is not a dotted-quad IPv4 address as sockets write it. */
export const NOT_IPV4 = 0x100000000;

/**
 * An IPv4 address in dotted-quad text as an int32, or NOT_IPV4. Strict (four parts, 0-255,
 * no leading zeros) so that ipv4Text gives back the very same text.
 */
export function packIpv4(s: string): number {
  let v = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || ++parts > 4) return NOT_IPV4;
      v = (v << 8) | part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return NOT_IPV4; // a leading zero
      part = part * 10 + (c - 48);
      if (part > 255) return NOT_IPV4;
      digits++;
    } else return NOT_IPV4;
  }
  return parts === 4 ? v | 0 : NOT_IPV4;
}

/** The text of an address packIpv4 made. */
export function ipv4Text(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}
