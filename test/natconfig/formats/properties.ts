import { expect } from 'vitest';
import type { Mapping, NatConfigFormat } from '../../../natconfig/format.js';
import { readV6, v6Covers } from '../../../natconfig/formats/prefixes.js';

/** Whether a holder named by reverse covers the inside asked about: the same address, or a prefix holding it. */
export function covers(holder: string, inside: string): boolean {
  if (!holder.includes(':')) return holder === inside;
  const outer = readV6(holder, true);
  const inner = readV6(inside, false);
  return typeof outer !== 'string' && typeof inner !== 'string' && v6Covers(outer, inner);
}

export function portsOf(m: Mapping): number[] {
  return m.ports.flatMap(({ start, end }) => Array.from({ length: end - start + 1 }, (_, i) => start + i));
}

/** Sets up to this size are checked port by port; larger ones (a whole address) at every range's ends and a prime stride. */
const EVERY_PORT_UP_TO = 4096;

function portsToCheck(m: Mapping): number[] {
  const all = portsOf(m);
  if (all.length <= EVERY_PORT_UP_TO) return all;
  return [...m.ports.flatMap((r) => [r.start, r.end]), ...all.filter((_, i) => i % 61 === 0)];
}

/**
 * Every port of the inside's set reverses to that inside: reverse(forward(x)) covers x. Asked of
 * every x, this also means no two holders share a (public, port): reverse names one holder per
 * port, and the other's check would fail.
 */
export function expectRoundTrip<R>(format: NatConfigFormat<R>, rules: R, inside: string): Mapping {
  const m = format.forward(rules, inside);
  expect(m, `forward ${inside}`).not.toBeNull();
  for (const port of portsToCheck(m!)) {
    const back = format.reverse(rules, m!.publicIp, port);
    if (!back || !covers(back.inside, inside)) {
      expect.fail(`reverse ${m!.publicIp}:${port} named ${back?.inside ?? 'nobody'}, not the holder of ${inside}`);
    }
  }
  return m!;
}

/** Whoever reverse names does hold that (public, port) by forward: reverse never names a non-holder. */
export function expectReverseHolds<R>(format: NatConfigFormat<R>, rules: R, publicIp: string, port: number): void {
  const back = format.reverse(rules, publicIp, port);
  if (!back) return;
  const m = format.forward(rules, back.inside);
  expect(m, `forward ${back.inside}`).not.toBeNull();
  expect(m!.publicIp).toBe(publicIp);
  expect(m!.ports.some((r) => r.start <= port && port <= r.end), `${port} in ${JSON.stringify(m!.ports)}`).toBe(true);
}

export function parsed<R>(format: NatConfigFormat<R>, text: string): R {
  const result = format.parse(text);
  if (!result.ok) expect.fail(`${format.name} refused: ${JSON.stringify(result.errors)}`);
  return result.rules;
}

export function refused<R>(format: NatConfigFormat<R>, text: string) {
  const result = format.parse(text);
  if (result.ok) expect.fail(`${format.name} accepted ${JSON.stringify(text)}`);
  return result.errors;
}
