import { describe, expect, it } from 'vitest';
import { clusterUrl, parseClusterUrl } from '../../redis/cluster.js';

describe('redis-cluster:// URLs', () => {
  it('come from REDIS_CLUSTER_NODES with blanks and empty entries dropped', () => {
    expect(clusterUrl(' a:7000, b:7001,,')).toBe('redis-cluster://a:7000,b:7001');
  });

  it('give the seed nodes, with bracketed IPv6 hosts', () => {
    expect(parseClusterUrl('redis-cluster://10.0.0.1:7000,[::1]:7001/')).toEqual({ nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '::1', port: 7001 }] });
  });

  it('carry a password, or a user and a password, percent-decoded', () => {
    expect(parseClusterUrl('redis-cluster://s%40cret@h:1')).toEqual({ nodes: [{ host: 'h', port: 1 }], password: 's@cret' });
    expect(parseClusterUrl('redis-cluster://ops:p%3Aw@h:1')).toEqual({ nodes: [{ host: 'h', port: 1 }], username: 'ops', password: 'p:w' });
    expect(parseClusterUrl('redis-cluster://:pw@h:1')).toEqual({ nodes: [{ host: 'h', port: 1 }], password: 'pw' });
  });

  it('are told apart from any other URL', () => {
    expect(parseClusterUrl('redis://127.0.0.1:6379/3')).toBeNull();
  });

  it('are refused without nodes or with a node lacking its port', () => {
    expect(() => parseClusterUrl('redis-cluster://')).toThrow(/no cluster nodes \(expected redis-cluster:\/\/host:port,host:port,…\)/);
    expect(() => parseClusterUrl('redis-cluster://a:1,b')).toThrow(/redis cluster node "b": expected host:port/);
  });
});
