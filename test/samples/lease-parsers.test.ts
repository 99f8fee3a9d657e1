import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLegalBody } from '../../parse/formats/kea-legal.js';
import { describeParsers, loadExpected, streamFiles } from '../helpers/lease-conformance.js';
import { leaseSamples } from './samples-dir.js';

/**
 * The real sample files (read in place, never copied into the repository) against their
 * expected-intervals.json: the same checks the project's own fixtures pass in `npm test`
 * (test/parse/formats/lease-fixtures.test.ts), plus what only the samples hold.
 */
const SAMPLES = leaseSamples();
const expected = loadExpected(SAMPLES);

describe('lease parsers on the real samples', () => {
  it('has sample files to read', () => {
    expect(streamFiles(expected).length).toBeGreaterThanOrEqual(18);
    expect(expected.events.filter((e) => e.file.endsWith('.log')).length).toBeGreaterThanOrEqual(10);
  });

  describeParsers(SAMPLES, expected);

  it.each(['kea/kea-unittest__legal4-entry-bodies.txt', 'kea/kea-unittest__legal6-entry-bodies.txt'])('reads every entry body of %s', (file) => {
    const bodies = readFileSync(new URL(file, SAMPLES), 'utf8').split('\n').filter((l) => l.trim());
    expect(bodies.length).toBeGreaterThan(10);
    for (const body of bodies) {
      const entry = parseLegalBody(body);
      if (typeof entry === 'string' || entry.kind !== 'lease') throw new Error(`${body}: ${entry}`);
      expect(['192.2.1.100', '2001:db8:1::', '2001:db8:1::/64'], body).toContain(entry.address);
      if (entry.action === 'released') expect(entry.lifetime, body).toBeUndefined();
      else expect([6735, 713], body).toContain(entry.lifetime);
      if (body.includes('hardware address')) expect(entry.ids.mac, body).toBe('08:00:2b:02:3f:4e');
      if (body.includes('DUID')) expect(entry.ids.duid, body).toBe('17:34:e2:ff:09:92:54');
      if (body.includes('circuit-id: 68')) expect(entry.ids.circuitId, body).toBe('68:6f:77:64:79');
      if (body.includes('remote-id: 87')) expect(entry.ids.remoteId, body).toBe('87:f6:79:77:ef');
      if (body.includes('subscriber-id: 1a')) expect(entry.ids.relaySubscriberId, body).toBe('1a:2b:3c:4d:5e:6f');
      expect(JSON.stringify(entry.ids), body).not.toContain('context');
    }
  });
});
