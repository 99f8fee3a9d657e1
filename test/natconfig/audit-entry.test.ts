import { describe, expect, it } from 'vitest';
import { DomainError } from '../../core/domain-error.js';
import { forwardRecord, recordedAnswer, type NatConfigRecord } from '../../natconfig/audit-entry.js';
import type { ForwardAnswer } from '../../natconfig/lookup.js';

const ACTOR = { user: 'ops', tokenId: null, client: null, route: 'test' };
const ANSWER: ForwardAnswer = { instance: 'i', inside: '100.64.0.1', at: '2026-11-02T00:00:00.000Z', answers: [] };

describe('a forward or reverse and its access-log record', () => {
  it('is not answered when the record cannot be written', async () => {
    const failing = async () => Promise.reject(new Error('log away'));
    const err = await recordedAnswer(async () => ANSWER, (a) => forwardRecord(ACTOR, {}, a), failing).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'access_log_unavailable' });
  });

  it('records a not_found before giving it, and leaves unreadable questions unrecorded', async () => {
    const written: NatConfigRecord[] = [];
    const append = async (r: NatConfigRecord) => void written.push(r);
    const missing = await recordedAnswer(async (): Promise<ForwardAnswer> => Promise.reject(new DomainError('not_found', 'none')), (a) => forwardRecord(ACTOR, { inside: 'x' }, a), append).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'not_found' });
    const bad = await recordedAnswer(async (): Promise<ForwardAnswer> => Promise.reject(new DomainError('bad_ip', 'no')), (a) => forwardRecord(ACTOR, {}, a), append).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'bad_ip' });
    expect(written).toMatchObject([{ kind: 'natconfig', route: 'test', query: { inside: 'x' }, details: { action: 'forward', outcome: 'not_found' } }]);
  });
});
