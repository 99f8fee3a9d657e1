import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';

describe('settings from the environment', () => {
  it('defaults the instance name to the host name', () => {
    expect(loadConfig({}).instance).toBe(hostname());
    expect(loadConfig({ WHOHAD_INSTANCE: 'edge-1.cph' }).instance).toBe('edge-1.cph');
  });

  it('reads the replica wait with the rest, 0 replicas and 1000 ms unless set', () => {
    expect(loadConfig({})).toMatchObject({ waitReplicas: 0, waitTimeoutMs: 1000 });
    expect(loadConfig({ WHOHAD_WAIT_REPLICAS: '1', WHOHAD_WAIT_TIMEOUT_MS: '2500' })).toMatchObject({ waitReplicas: 1, waitTimeoutMs: 2500 });
  });

  it.each([
    ['PORT', '70000', /^PORT="70000" is not a whole number from 0 to 65535$/],
    ['WHOHAD_RETENTION_DAYS', '0', /^WHOHAD_RETENTION_DAYS="0" is not a whole number from 1 to 36500$/],
    ['WHOHAD_TOLERANCE_S', 'NaN', /^WHOHAD_TOLERANCE_S="NaN" is not a number from 0 to 3600$/],
    ['REDIS_CLUSTER_NODES', 'a:1,b', /^REDIS_CLUSTER_NODES="a:1,b": expected host:port,host:port,…$/],
    ['WHOHAD_WAIT_REPLICAS', '-1', /^WHOHAD_WAIT_REPLICAS="-1" is not a whole number of 0 or more$/],
    ['WHOHAD_WAIT_TIMEOUT_MS', '1.5', /^WHOHAD_WAIT_TIMEOUT_MS="1.5" is not a whole number of 0 or more$/],
    ['WHOHAD_INSTANCE', 'edge 1', /^WHOHAD_INSTANCE="edge 1": expected 1-128 letters, digits and \. : @ \/ - _$/],
  ])('stops start-up on %s=%s, naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it.each([
    ['http://x', /^REDIS_URL="http:\/\/x": http:\/\/ is not a Redis scheme; expected redis:\/\//],
    ['localhost:6379', /^REDIS_URL="localhost:6379": not a URL; expected/],
    ['redis://', /^REDIS_URL="redis:\/\/": (no host|not a URL); expected/],
    ['redis://h:6379/x', /^REDIS_URL="redis:\/\/h:6379\/x": path "\/x" is not a database number/],
    ['redis://h:6379?db=1', /query and fragment are not understood/],
    ['redis-cluster://a:1,b', /^REDIS_URL="redis-cluster:\/\/a:1,b": cluster node "b" is not HOST:PORT/],
    ['redis-cluster://', /cluster node "" is not HOST:PORT/],
  ])('refuses REDIS_URL=%s at start, saying what a Redis URL looks like', (value, message) => {
    expect(() => loadConfig({ REDIS_URL: value })).toThrow(ConfigError);
    expect(() => loadConfig({ REDIS_URL: value })).toThrow(message);
  });

  it.each(['redis://127.0.0.1:6379', 'redis://:secret@redis.internal:6380/2', 'rediss://user:pw@[::1]:6379/', 'redis-cluster://u:p@a:7000,[::1]:7001', '/run/redis/redis.sock'])(
    'takes REDIS_URL=%s as it is',
    (value) => {
      expect(loadConfig({ REDIS_URL: value }).redisUrl).toBe(value);
    },
  );
});
