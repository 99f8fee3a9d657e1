import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../audit/canonical.js';
import { AccessLog, auditKeys, formatPoint, parsePoint, recordHash, type AuditEntry, type AuditRecord } from '../../audit/log.js';
import { verifyChain } from '../../audit/read.js';
import { recordBytes } from '../../audit/record-bytes.js';
import { testRedis } from '../helpers/redis.js';

const KINDS = ['lookup', 'bulk', 'denied', 'ingest', 'audit-read', 'purge', 'hold', 'token'] as const;
const text = fc.string({ unit: 'binary', maxLength: 12 });
const plain = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
/** Nested values with keys in any order, as details and queries carry them. */
const nested = fc.dictionary(text, fc.oneof(plain, fc.array(plain, { maxLength: 3 }), fc.dictionary(text, plain, { maxKeys: 3 })), { maxKeys: 5 });

const entry: fc.Arbitrary<AuditEntry> = fc.record(
  {
    kind: fc.constantFrom(...KINDS),
    time: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    user: fc.option(text),
    tokenId: fc.option(text),
    client: fc.option(text),
    case: fc.option(text),
    legalBasis: fc.option(text),
    purpose: fc.option(text),
    route: text,
    query: nested,
    normalised: nested,
    status: text,
    reason: text,
    count: fc.integer({ min: 0 }),
    disclosed: fc.array(text, { maxLength: 4 }),
    details: nested,
  },
  { requiredKeys: ['kind', 'time', 'user', 'tokenId', 'client', 'disclosed'] },
);

/** What the log wrote before the one-pass serialiser: two recursive canonicalisations. */
function oldBytes(body: Omit<AuditRecord, 'hash' | 'id'>) {
  const hash = recordHash(body);
  return { hash, json: canonicalJson({ ...body, hash }) };
}

describe('a record serialised in one pass', () => {
  it('gives the hash and stored text byte for byte as the canonical form does, for any entry', () => {
    fc.assert(
      fc.property(entry, text, fc.nat(), text, (e, chain, seq, prev) => {
        const body = { ...e, chain, seq, prev };
        expect(recordBytes(body)).toEqual(oldBytes(body));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps fields set to undefined out of the text, as the canonical form does', () => {
    const body = { kind: 'lookup' as const, time: '2026-10-25T00:00:00.000Z', user: 'ivy', tokenId: null, client: null, case: undefined, route: undefined, disclosed: [], chain: 'a', seq: 1, prev: '0' };
    expect(recordBytes(body)).toEqual(oldBytes(body));
    expect(recordBytes(body).json).not.toContain('case');
  });

  it('takes the general path for a field it does not know, and still matches', () => {
    const body = { kind: 'lookup' as const, time: 't', user: null, tokenId: null, client: null, disclosed: [], chain: 'a', seq: 1, prev: '0', zeta: { b: 1, a: 2 }, alpha: 'x' };
    expect(recordBytes(body)).toEqual(oldBytes(body));
  });
});

describe('a chain written partly before and partly after the change', () => {
  let redis: Awaited<ReturnType<typeof testRedis>>['redis'];
  beforeAll(async () => {
    ({ redis } = await testRedis());
  });

  it('verifies whole: records of the old serialiser, then the new one, then the old again', async () => {
    const chain = 'mixed';
    /** Appends one record the way the log did before the change. */
    const appendOld = async (e: AuditEntry) => {
      const head = parsePoint(await redis.hget(auditKeys.heads, chain));
      const body = { ...e, chain, seq: head.seq + 1, prev: head.hash };
      const { hash, json } = oldBytes(body);
      const reply = await redis.auditAppend(auditKeys.log, auditKeys.heads, chain, head.seq === 0 ? '' : formatPoint(head), auditKeys.index, formatPoint({ seq: body.seq, hash }), e.user ?? '', e.case ?? '', e.disclosed.length, ...e.disclosed, json);
      expect(reply[0]).toBe('ok');
    };
    const look = (i: number): AuditEntry => ({
      kind: 'lookup', time: new Date(Date.UTC(2026, 9, 25, 0, i)).toISOString(), user: 'ivy', tokenId: 'abcdefabcdef', client: '192.0.2.1',
      case: `C-${i % 2}`, legalBasis: 'court-order', purpose: 'fraud', route: 'GET /v1/attribution',
      query: { ip: '198.51.100.7', port: 1100 + i, at: '2026-10-25T00:30:00Z' }, normalised: { ip: '198.51.100.7', port: 1100 + i, instants: ['2026-10-25T00:30:00.000Z'], tolerance: 2 },
      status: 'unique', disclosed: [`sub-${i}`], details: { z: 1, a: { y: 'x', b: [1, 'two'] } },
    });
    for (let i = 0; i < 3; i++) await appendOld(look(i));
    const log = new AccessLog(redis, chain);
    await Promise.all([3, 4, 5, 6].map((i) => log.append(look(i))));
    await log.append({ kind: 'denied', time: new Date().toISOString(), user: null, tokenId: null, client: '203.0.113.9', route: 'GET /v1/attribution', reason: 'unknown token', count: 3, disclosed: [] });
    for (let i = 7; i < 9; i++) await appendOld(look(i));

    const v = await verifyChain(redis);
    expect(v.ok).toBe(true);
    expect(v.chains.find((c) => c.chain === chain)?.records).toBe(10);
    // each index key got every record of its user, case and subscriber, grouped or not
    expect(await redis.zcard(`${auditKeys.index}user:ivy`)).toBe(9);
    expect(await redis.zcard(`${auditKeys.index}case:C-0`)).toBe(5);
    expect(await redis.zcard(`${auditKeys.index}sub:sub-4`)).toBe(1);
  });
});
