import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../core/metrics.js';
import { closeClient, redisClient } from '../../redis/client.js';
import { testRedisUrl } from '../helpers/redis.js';

const sample = (text: string, name: string, command: string) => Number(new RegExp(`^${name}\\{command="${command}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);

describe('Redis command metrics', () => {
  let client: ReturnType<typeof redisClient>;
  beforeAll(async () => {
    client = redisClient(await testRedisUrl(), { onError: () => {} });
  });
  afterAll(() => closeClient(client));

  it('count each command sent and each refused, by name, between scrapes', async () => {
    const before = await registry.metrics();
    await Promise.all([client.set('m:k', 'v'), client.get('m:k'), client.get('m:k'), client.incr('m:k').catch(() => 'refused')]);
    const after = await registry.metrics();
    expect(sample(after, 'whohad_redis_commands_total', 'get') - sample(before, 'whohad_redis_commands_total', 'get')).toBe(2);
    expect(sample(after, 'whohad_redis_commands_total', 'incr') - sample(before, 'whohad_redis_commands_total', 'incr')).toBe(1);
    expect(sample(after, 'whohad_redis_command_errors_total', 'incr') - sample(before, 'whohad_redis_command_errors_total', 'incr')).toBe(1);
    expect(sample(after, 'whohad_redis_command_errors_total', 'get') - sample(before, 'whohad_redis_command_errors_total', 'get')).toBe(0);
    // a scrape with nothing sent since moves nothing
    expect(sample(await registry.metrics(), 'whohad_redis_commands_total', 'get')).toBe(sample(after, 'whohad_redis_commands_total', 'get'));
  });
});
