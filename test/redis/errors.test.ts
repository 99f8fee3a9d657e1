import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { isRedisFull, isTransient, isTransientError, refusalsOf } from '../../redis/errors.js';

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
      // a write no replica confirmed in time (WHOHAD_WAIT_REPLICAS), as a promoted replica's primary answers
      'not confirmed by 1 replica(s) within 2000 ms (0 did)',
    ]) expect(isTransient(reason), reason).toBe(true);
  });

  it('gives up on what the store refused for itself', () => {
    for (const reason of ['not stored: older than retention', 'ERR user_script:12: bad argument', 'WRONGTYPE Operation against a key holding the wrong kind of value']) {
      expect(isTransient(reason), reason).toBe(false);
    }
  });
});

describe('isTransientError', () => {
  const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
  const named = (message: string, name: string) => Object.assign(new Error(message), { name });

  it('knows a lost connection by its code and ioredis giving up by its class, whatever the text', () => {
    expect(isTransientError(withCode('write failed', 'EPIPE'))).toBe(true);
    expect(isTransientError(withCode('socket gone', 'ECONNRESET'))).toBe(true);
    expect(isTransientError(named('gave up', 'MaxRetriesPerRequestError'))).toBe(true);
    expect(isTransientError(named('no slots', 'ClusterAllFailedError'))).toBe(true);
  });

  it('reads a reply by its first word', () => {
    expect(isTransientError(new ReplyError("READONLY You can't write against a read only replica."))).toBe(true);
    expect(isTransientError(new ReplyError('MASTERDOWN Link with MASTER is down'))).toBe(true);
    expect(isTransientError(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isTransientError(new ReplyError('ERR user_script:12: bad argument'))).toBe(false);
  });

  it('falls back on the text for errors that carry nothing else', () => {
    expect(isTransientError(new Error('Connection is closed.'))).toBe(true);
    expect(isTransientError(new Error('not stored: older than retention'))).toBe(false);
    expect(isTransientError(withCode('no such file', 'ENOENT'))).toBe(false);
  });

  it('reads a discarded MULTI (EXECABORT) by the refusals behind it', () => {
    const execabort = (...behind: Error[]) => Object.assign(new ReplyError('EXECABORT Transaction discarded because of previous errors.'), { previousErrors: behind });
    const oom = new ReplyError("OOM command not allowed when used memory > 'maxmemory'.");
    const wrongType = new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value');
    expect(isTransientError(execabort(oom, oom))).toBe(true);
    expect(isTransientError(execabort(wrongType))).toBe(false);
    // a retry would be refused again by the command that is wrong
    expect(isTransientError(execabort(oom, wrongType))).toBe(false);
    expect(isRedisFull(execabort(oom))).toBe(true);
    expect(isRedisFull(execabort(wrongType))).toBe(false);
    expect(isRedisFull(oom)).toBe(true);
    expect(refusalsOf(execabort(wrongType))).toEqual([wrongType]);
    expect(refusalsOf(oom)).toEqual([oom]);
  });
});
