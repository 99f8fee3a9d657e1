import { DomainError } from '../core/domain-error.js';
import type { Ingest } from '../timeindex/profiles.js';
import type { AccessLog } from './log.js';
import type { Principal } from './tokens.js';

export interface IngestCounts {
  client: string;
  route: string;
  format: string;
  /** Events stored per source name. */
  sources: Record<string, number>;
  accepted: number;
  rejected: number;
  /** When a run of the CLI or the collector began (one record stands for the whole run). */
  since?: string;
}

/**
 * The ingest an HTTP request writes as: its token. Each record it makes carries this (through
 * the profile dictionary) and shows it in an answer's evidence; the access log's ingest records
 * carry the same, so the one leads to the other.
 */
export const tokenIngest = (who: Principal): Ingest => ({ path: 'token', tokenId: who.tokenId });

/** An ingest without a token: `whohad ingest` on the host, or the collector. */
export type HostIngest = Exclude<Ingest, { path: 'token' }>;

/** Who wrote, as the access log's `user` and `tokenId` say it. */
function writer(who: Principal | HostIngest): { user: string; tokenId: string | null; ingest: Ingest } {
  if ('roles' in who) return { user: who.name, tokenId: who.tokenId, ingest: tokenIngest(who) };
  return { user: who.path === 'cli' ? `cli:${who.user}` : `collector:${who.collector}`, tokenId: null, ingest: who };
}

/**
 * Who put evidence into the store: one access-log record per ingest request (token, user,
 * address, format, events stored per source, rejects, time), so an answer's records can be
 * traced to the feed that wrote them and a fabricated one to whoever sent it. Written once the
 * events are stored (the counts are known then); if it cannot be written the request answers
 * 503, so the sender tries again rather than believing the ingest complete. `details.ingest` is
 * the identity the records' evidence names.
 */
export async function recordIngest(log: AccessLog, who: Principal | HostIngest, c: IngestCounts): Promise<void> {
  const w = writer(who);
  try {
    await log.append({
      kind: 'ingest', time: new Date().toISOString(), user: w.user, tokenId: w.tokenId, client: c.client, route: c.route, disclosed: [],
      details: { ingest: w.ingest, format: c.format, sources: c.sources, accepted: c.accepted, rejected: c.rejected, ...(c.since ? { since: c.since } : {}) },
    });
  } catch {
    throw new DomainError('access_log_unavailable', 'the access log could not record this ingest, so it is not confirmed; send it again shortly');
  }
}

/** Why a token may not write events under `source`, or null when it may. */
export function sourceRefusal(who: Principal, source: string): string | null {
  if (who.sources === null || who.sources.includes(source)) return null;
  return `source ${JSON.stringify(source)}: token "${who.name}" may write only ${who.sources.map((s) => JSON.stringify(s)).join(', ')}`;
}
