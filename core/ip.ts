import ipaddr from 'ipaddr.js';

/** A canonical address: IPv4 dotted quad, or IPv6 in RFC 5952 form. IPv4-mapped IPv6 becomes IPv4. */
export type CanonicalIp = string;

const STRICT_V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Canonicalises an address or returns null. Strict on purpose: inet_aton shorthands such as
 * "10.1" or "0x0a.0.0.1" and zero-padded octets (octal to some parsers) are rejected, because
 * a log line that names an address two tools read differently must not be attributed.
 */
export function canonicalIp(text: string): CanonicalIp | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) return null;
  if (STRICT_V4.test(text)) return text;
  if (!text.includes(':') || text.includes('%')) return null;
  let v6: ipaddr.IPv6;
  try {
    v6 = ipaddr.IPv6.parse(text);
  } catch {
    return null;
  }
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  return v6.toRFC5952String();
}

/**
 * The network address and text of an IPv6 prefix "addr/len", or why it is not one.
 * A delegated prefix is carried as its network address in a lease's `ip` with the prefix itself
 * in identifiers.prefix (the event has no other field for a length); the time index keys it by
 * the prefix text, so a look-up of any address inside it can find it (prefixNetworks).
 */
export function ipv6Prefix(text: string): { ip: string; prefix: string; length: number } | string {
  const slash = text.indexOf('/');
  if (slash < 0) return `${JSON.stringify(text)} is not a prefix (no /length)`;
  const addr = canonicalIp(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!addr || !addr.includes(':')) return `${JSON.stringify(text)} is not an IPv6 prefix`;
  if (!/^\d{1,3}$/.test(lenText) || +lenText > 128) return `${JSON.stringify(text)} has no valid prefix length (0-128)`;
  const length = +lenText;
  const ip = networkOf(ipaddr.IPv6.parse(addr).toByteArray(), length);
  return { ip, prefix: `${ip}/${length}`, length };
}

function networkOf(bytes: number[], length: number): CanonicalIp {
  for (let bit = length; bit < 128; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  const ip = ipaddr.fromByteArray(bytes).toString();
  return canonicalIp(ip) ?? ip;
}

/** The prefixes of the given lengths that hold an IPv6 address, as "network/length" texts. */
export function prefixNetworks(ip: CanonicalIp, lengths: readonly number[]): string[] {
  const bytes = ipaddr.IPv6.parse(ip).toByteArray();
  return lengths.map((length) => `${networkOf([...bytes], length)}/${length}`);
}

export function isIpv4(ip: CanonicalIp): boolean {
  return !ip.includes(':');
}

/** IPv4 as an unsigned 32-bit integer; the address must already be canonical. */
export function ipv4ToU32(ip: CanonicalIp): number {
  let n = 0;
  let part = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      n = n * 256 + part;
      part = 0;
    } else {
      part = part * 10 + (c - 48);
    }
  }
  return n * 256 + part;
}

export function u32ToIpv4(n: number): CanonicalIp {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Packed bytes of a canonical address: 4 for IPv4, 16 for IPv6. */
export function ipToBytes(ip: CanonicalIp): Buffer {
  if (isIpv4(ip)) {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(ipv4ToU32(ip), 0);
    return b;
  }
  return Buffer.from(ipaddr.IPv6.parse(ip).toByteArray());
}

export function bytesToIp(b: Buffer): CanonicalIp {
  if (b.length === 4) return u32ToIpv4(b.readUInt32BE(0));
  return ipaddr.IPv6.parse(ipaddr.fromByteArray([...b]).toString()).toRFC5952String();
}
