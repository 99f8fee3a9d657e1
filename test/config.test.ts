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
});
