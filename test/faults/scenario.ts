import type { Redis } from 'ioredis';

/**
 * A large realistic day-and-more of canonical events for the fault tests: `addresses` private
 * addresses, each holding one port block of a CGNAT (64 public addresses, 64 blocks of 1000
 * ports each) and one DHCP lease per session. A session is a lease start, the allocation, two
 * interim records, the release and the lease end. In the next session every address has
 * another block and another subscriber, so the index holds many chains with several holdings.
 * Times lie in the last weeks, so everything is inside retention whenever the test runs.
 */
export function scenarioLines(addresses = 4096, sessions = 8): string[] {
  const HOUR = 3_600_000;
  const base = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 20 * 86_400_000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const priv = (i: number) => `100.64.${i >> 8}.${i & 255}`;
  const lines: string[] = [];
  for (let s = 0; s < sessions; s++) {
    const from = base + s * 3 * HOUR;
    for (let i = 0; i < addresses; i++) {
      const b = (i + s * 37) % addresses;
      const pub = `198.51.100.${(b >> 6) + 1}`;
      const portStart = 1024 + (b & 63) * 1000;
      const at = from + (i % 600) * 1000;
      const sub = `sub-${(i * 7 + s * 131) % (addresses * 2)}`;
      const block = `"natInstance":"cgn1","publicIp":"${pub}","portStart":${portStart},"portEnd":${portStart + 999},"privateIp":"${priv(i)}"`;
      lines.push(`{"kind":"lease","event":"start","at":"${iso(at)}","ip":"${priv(i)}","subscriberId":"${sub}","expiresAt":"${iso(at + 3 * HOUR)}"}`);
      lines.push(`{"kind":"nat","event":"alloc","at":"${iso(at + 1000)}",${block}}`);
      lines.push(`{"kind":"nat","event":"interim","at":"${iso(at + HOUR)}",${block},"allocatedAt":"${iso(at + 1000)}"}`);
      lines.push(`{"kind":"nat","event":"interim","at":"${iso(at + 2 * HOUR)}",${block},"allocatedAt":"${iso(at + 1000)}"}`);
      lines.push(`{"kind":"nat","event":"release","at":"${iso(at + 2.5 * HOUR)}",${block}}`);
      lines.push(`{"kind":"lease","event":"end","at":"${iso(at + 2.5 * HOUR + 1000)}","ip":"${priv(i)}","subscriberId":"${sub}"}`);
    }
  }
  // what real files also hold: an unreadable line and an event older than retention
  lines.splice(1000, 0, '{"kind":"nat","event":"alloc"');
  lines.splice(2000, 0, `{"kind":"lease","event":"start","at":"2001-01-01T00:00:00Z","ip":"100.64.0.1","subscriberId":"old"}`);
  return lines;
}

/** Bytes Redis has received from clients since it started: progress a test can wait on, whatever the writer batches. */
export async function inputBytes(redis: Redis): Promise<number> {
  const m = /^total_net_input_bytes:(\d+)/m.exec(await redis.info('stats'));
  return m ? Number(m[1]) : 0;
}
