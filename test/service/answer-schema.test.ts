import fjs from 'fast-json-stringify';
import { describe, expect, it } from 'vitest';
import { AllocationEvidenceSchema, AttributionAnswerSchema, LeaseEvidenceSchema, type AttributionAnswer } from '../../schemas/attribution.js';

const plain = (s: object) => JSON.parse(JSON.stringify(s)) as Record<string, unknown>;
const combinators = (s: unknown, at = '#'): string[] =>
  s === null || typeof s !== 'object'
    ? []
    : Object.entries(s).flatMap(([k, v]) => (k === 'anyOf' || k === 'oneOf' ? [`${at}/${k}`] : combinators(v, `${at}/${k}`)));

const allocation = {
  id: 'a1', natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535, protocol: null, privateIp: '100.64.0.1', privateVrf: '',
  start: '2026-10-25T00:00:00.000Z', startNotBefore: null, startInferred: false, end: null, endBasis: 'open' as const, lastSeen: null, source: 'canonical',
  ingest: { path: 'token' as const, tokenId: 'tok-1' },
};
const lease = { id: 'l1', ip: '100.64.0.1', vrf: '', subscriberId: 'sub-A', start: null, startNotBefore: '2026-10-24T20:00:00.000Z', end: '2026-10-25T20:00:00.000Z', endBasis: 'expired' as const, source: 'kea', ingest: null };

describe('the answer schema', () => {
  it('has no anyOf or oneOf, so serialising an answer runs no validator', () => {
    expect(combinators(plain(AttributionAnswerSchema))).toEqual([]);
    expect(combinators(plain(AllocationEvidenceSchema))).toEqual([]);
    expect(combinators(plain(LeaseEvidenceSchema))).toEqual([]);
  });

  it('writes every field of an answer, nulls and enums included, as JSON.stringify reads it', () => {
    const stringify = fjs(plain(AttributionAnswerSchema) as never, { schema: { LeaseEvidence: plain(LeaseEvidenceSchema), AllocationEvidence: plain(AllocationEvidenceSchema) } as never });
    const answer: AttributionAnswer = {
      status: 'ambiguous', subscriberId: null, reasons: ['ambiguous_local_time', 'open_interval'],
      query: { ip: '198.51.100.7', port: null, at: '2026-10-25T02:30:00', tz: 'Europe/Copenhagen', tolerance: 2 },
      instants: [{ utc: '2026-10-25T00:30:00.000Z', local: '2026-10-25T02:30:00.000+02:00', windowFrom: 'a', windowTo: 'b' }],
      candidates: [
        { subscriberId: 'sub-A', evidence: [{ allocation, lease }] },
        { subscriberId: 'sub-B', evidence: [{ allocation: null, lease: { ...lease, subscriberId: 'sub-B' } }] },
      ],
      leaseSearches: [{ allocation, ip: '100.64.0.2', vrf: '', windowFrom: 'a', windowTo: 'b' }, { allocation: null, ip: '198.51.100.7', vrf: 'direct', windowFrom: 'a', windowTo: 'b' }],
    };
    expect(JSON.parse(stringify(answer))).toEqual(answer);
  });
});
