import { describe, expect, it } from 'vitest';
import { isTransient } from '../../redis/errors.js';

describe('isTransient', () => {
  it('takes Redis being away, busy or failing over as worth a retry', () => {
    for (const reason of [
      'not stored: Reached the max retries per request limit (which is 2). Refer to "maxRetriesPerRequest" option for details.',
      'Connection is closed.',
      'connect ECONNREFUSED 127.0.0.1:6379',
      'LOADING Redis is loading the dataset in memory',
      'CLUSTERDOWN The cluster is down',
      // seen during a failover test: MOVED pointing back and forth until the vote was over
      'Too many Cluster redirections. Last error: ReplyError: MOVED 6044 127.0.0.1:34353',
      'Failed to refresh slots cache.',
    ]) expect(isTransient(reason), reason).toBe(true);
  });

  it('gives up on what the store refused for itself', () => {
    for (const reason of ['not stored: older than retention', 'ERR user_script:12: bad argument', 'WRONGTYPE Operation against a key holding the wrong kind of value']) {
      expect(isTransient(reason), reason).toBe(false);
    }
  });
});
