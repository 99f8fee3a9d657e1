/**
 * Whether a failure is Redis being away or busy rather than refusing the write: a lost or
 * refused connection, a server still loading its append-only file, a replica that cannot take
 * writes, a cluster re-sharding or failing over, memory full. The writer reports a lost
 * connection per command ("not stored: Reached the max retries per request limit"), not as a
 * thrown error; the writer classifies that message here (timeindex/codes.ts, clientFailure) and
 * callers read its `transient` flag (or test a thrown error's message). Writes that
 * failed this way are retried (the index's merge makes a repeated write harmless); anything
 * else the store refused for itself (older than retention, a script error) is given up and
 * reported.
 */
export function isTransient(reason: string): boolean {
  return TRANSIENT.test(reason);
}

// "Too many Cluster redirections" and "Failed to refresh slots cache": a cluster changing
// owners under a failover, where MOVED can point back and forth until the vote is over.
const TRANSIENT = /max retries per request|Too many Cluster redirections|Failed to refresh slots cache|Connection is closed|Command aborted due to connection close|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTCONN|\b(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|OOM|NOSCRIPT)\b/;
