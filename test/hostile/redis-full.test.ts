import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RedisClient } from '../../redis/cluster.js';
import { isTransientError } from '../../redis/errors.js';
import { PURPOSE } from '../helpers/app.js';
import { fillableRedis } from '../helpers/fillable-redis.js';
import type { TestApp } from '../helpers/app.js';
import { Desk } from '../web/helpers.js';

/**
 * A Redis that is full (maxmemory with noeviction) refuses every write. Whatever write it
 * refuses (the access-log record of a look-up, a hold, a token), the caller is told to try
 * again later (503 with Retry-After), never an internal error, and nothing is disclosed.
 */
const service = fillableRedis();
let client: RedisClient;
let app: FastifyInstance;
let auth: { authorization: string };
beforeAll(() => {
  ({ client, app, auth } = service);
});

/** Redis refuses every write that needs memory while `body` runs (maxmemory 1 byte). */
async function whileFull<T>(body: () => Promise<T>): Promise<T> {
  await client.config('SET', 'maxmemory', '1');
  try {
    return await body();
  } finally {
    await client.config('SET', 'maxmemory', '0');
  }
}

function triesAgainLater(r: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  expect(r.statusCode, r.body).toBe(503);
  expect(r.headers['retry-after']).toBeDefined();
  expect(r.body).not.toMatch(/EXECABORT|OOM command|sub-A/);
}

describe('when Redis is full', () => {
  it('a look-up whose access-log record cannot be written answers 503, discloses nothing', async () => {
    const r = await whileFull(() => app.inject({ url: `/v1/attribution?ip=198.51.100.7&port=1100&at=2026-10-25T00:30:00Z&${PURPOSE}`, headers: auth }));
    triesAgainLater(r);
    expect(r.json().message).toMatch(/access log/);
  });

  it('a hold that cannot be stored answers 503', async () => {
    const hold = { case: 'C-2026-117', subscribers: ['sub-A'], from: '2026-10-01T00:00:00Z', to: '2026-10-31T00:00:00Z', reason: 'court order 17' };
    const r = await whileFull(() => app.inject({ method: 'POST', url: '/v1/holds', headers: auth, payload: hold }));
    triesAgainLater(r);
    expect((await app.inject({ url: '/v1/holds', headers: auth })).json()).toEqual(expect.not.arrayContaining([expect.objectContaining({ reason: 'court order 17' })]));
  });

  it('a token that cannot be made fails as "try again", not as a bug', async () => {
    const err = await whileFull(() => app.tokens.create('late', ['investigator']).then(() => null, (e: unknown) => e));
    expect(err).toBeInstanceOf(Error);
    expect(isTransientError(err)).toBe(true);
  });

  it('a desk page whose session cannot be renewed (a discarded MULTI) answers 503, not 500', async () => {
    const desk = new Desk(Object.assign(app, { auth }) as TestApp);
    expect((await desk.signIn(auth.authorization.slice('Bearer '.length))).statusCode).toBe(303);
    const r = await whileFull(() => desk.get('/lookup'));
    expect(r.statusCode, r.body.slice(0, 400)).toBe(503);
    expect(r.body).toContain('Try again shortly');
  });

  it('a discarded MULTI (EXECABORT) is classified by the refusal behind it', async () => {
    const err = await whileFull(() => client.multi().set('whohad-test:full', 'x').incr('whohad-test:n').exec().then(() => null, (e: unknown) => e));
    expect(String(err)).toMatch(/EXECABORT/);
    expect(isTransientError(err)).toBe(true);
  });
});
