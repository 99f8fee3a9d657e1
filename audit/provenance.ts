import { DomainError } from '../core/domain-error.js';
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
}

/**
 * Who put evidence into the store: one access-log record per ingest request (token, user,
 * address, format, events stored per source, rejects, time), so an answer's records can be
 * traced to the feed that wrote them and a fabricated one to whoever sent it. Written once the
 * events are stored (the counts are known then); if it cannot be written the request answers
 * 503, so the sender tries again rather than believing the ingest complete.
 */
export async function recordIngest(log: AccessLog, who: Principal, c: IngestCounts): Promise<void> {
  try {
    await log.append({
      kind: 'ingest', time: new Date().toISOString(), user: who.name, tokenId: who.tokenId, client: c.client, route: c.route, disclosed: [],
      details: { format: c.format, sources: c.sources, accepted: c.accepted, rejected: c.rejected },
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
