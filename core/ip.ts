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
