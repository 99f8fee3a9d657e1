/**
 * Whether a failure is Redis being away or busy rather than refusing the write: a lost or
 * refused connection, a server still loading its append-only file, a replica that cannot take
 * writes, a cluster re-sharding or failing over, memory full. Writes that failed this way are
 * retried (the index's merge makes a repeated write harmless); anything else the store refused
 * for itself (older than retention, a script error) is given up and reported.
 */

/** Socket errors (`err.code`) of a connection that is lost, refused or unreachable. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTCONN']);

/** ioredis's own errors (`err.name`) for a connection or a cluster that is not there right now. */
const CLIENT_ERROR_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);

/** Redis replies whose first word says "not now" rather than "no". */
const BUSY_REPLIES = new Set(['LOADING', 'READONLY', 'MASTERDOWN', 'CLUSTERDOWN', 'TRYAGAIN', 'BUSY', 'OOM', 'NOSCRIPT']);

/**
 * ioredis errors that carry only their text: the connection closed under a command, and a
 * cluster changing owners under a failover, where MOVED can point back and forth until the vote
 * is over ("Too many Cluster redirections").
 */
const CLIENT_MESSAGES = [
  'max retries per request',
  'Too many Cluster redirections',
  'Failed to refresh slots cache',
  'Connection is closed',
  'Command aborted due to connection close',
  "Stream isn't writeable",
  // redis/replica-wait.ts: a write the primary took that no replica confirmed in time (a replica
  // down, or just promoted): not acknowledged, safe to send again
  'not confirmed',
];

/**
 * The refusals behind a failure. A MULTI that Redis discarded answers only "EXECABORT
 * Transaction discarded because of previous errors"; why it did (OOM when Redis is full, a
 * wrong type) is in the errors of the commands it refused, which ioredis keeps in
 * `previousErrors`. Any other failure is its own reason.
 */
export function refusalsOf(err: unknown): unknown[] {
  const behind = (err as { previousErrors?: unknown } | null)?.previousErrors;
  return Array.isArray(behind) && behind.length > 0 ? behind : [err];
}

/** Redis refused a write because it is full (maxmemory reached with noeviction), directly or behind an EXECABORT. */
export function isRedisFull(err: unknown): boolean {
  return refusalsOf(err).some((e) => e instanceof Error && /^OOM\b/.test(e.message));
}

/**
 * A thrown error, classified by what it is (code, class, reply prefix) before its text; a
 * discarded MULTI by the refusals behind it, all of which must be "not now" for it to be.
 */
export function isTransientError(err: unknown): boolean {
  const refusals = refusalsOf(err);
  if (refusals[0] !== err) return refusals.every(isTransientError);
  if (!(err instanceof Error)) return isTransient(String(err));
  const code = (err as NodeJS.ErrnoException).code;
  if (code && SOCKET_CODES.has(code)) return true;
  if (CLIENT_ERROR_NAMES.has(err.name)) return true;
  if (err.name === 'ReplyError' && BUSY_REPLIES.has(err.message.split(' ', 1)[0])) return true;
  // a script's error wraps the reply of the command that failed inside it, further into the text
  return isTransient(err.message);
}

/**
 * The same question of a reason already turned into text. The writer reports a lost connection
 * per command ("not stored: Reached the max retries per request limit"), not as a thrown error,
 * so callers that hold only the reason text ask this.
 */
export function isTransient(reason: string): boolean {
  if (CLIENT_MESSAGES.some((m) => reason.includes(m))) return true;
  for (const code of SOCKET_CODES) if (reason.includes(code)) return true;
  // a reply's first word, which may stand after a prefix ("not stored: LOADING …")
  return reason.split(/\W+/).some((word) => BUSY_REPLIES.has(word));
}
