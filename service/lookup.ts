import type { FastifyInstance } from 'fastify';
import type { AuditEntry, AuditRecord } from '../audit/log.js';
import type { Principal } from '../audit/tokens.js';
import { DomainError } from '../core/domain-error.js';
import { normaliseQuery, type QueryInput } from '../resolver/query.js';
import type { AttributionAnswer } from '../schemas/attribution.js';

/** One look-up as asked, and why: the case, legal basis and purpose the access log keeps. */
export interface LookupRequest {
  query: QueryInput;
  case: string;
  legalBasis: string;
  purpose: string;
}

/** Who asks, from where, and through which door (the access log's route field). */
export interface Asker {
  principal: Principal;
  client: string;
  route: string;
}

/**
 * What a door adds to the look-up's access-log record, made from the answer before the record
 * is written (a disclosure report adds its content hash), and a value it hands back with it.
 */
export type RecordDetails<T> = (answer: AttributionAnswer) => Promise<{ details: Record<string, unknown>; value: T }>;

export interface RecordedLookup<T> {
  answer: AttributionAnswer;
  record: AuditRecord;
  value: T;
}

/**
 * The one path of a look-up, whichever door it came through (`GET /v1/attribution`, its signed
 * report, the desk's look-up page): the legal basis checked, the query normalised, resolved,
 * counted, and recorded in the access log before the answer is handed back. If the record cannot
 * be written nothing is returned, so nothing can be disclosed.
 */
export async function lookUp<T = undefined>(
  fastify: Pick<FastifyInstance, 'resolver' | 'accessLog' | 'metrics'>,
  legalBases: string[],
  r: LookupRequest,
  asker: Asker,
  details?: RecordDetails<T>,
): Promise<RecordedLookup<T>> {
  if (!legalBases.includes(r.legalBasis)) {
    throw new DomainError('bad_parameter', `${JSON.stringify(r.legalBasis)} is not one of ${legalBases.join(', ')} (WHOHAD_LEGAL_BASES)`, 'legalBasis');
  }
  const q = r.query;
  const normalised = normaliseQuery(q);
  if (!normalised.ok) throw normalised.errors[0];
  const nq = normalised.query;
  const answer = await fastify.resolver.resolve(nq);
  fastify.metrics.lookups.inc({ status: answer.status });
  const extra = details ? await details(answer) : { details: undefined, value: undefined as T };
  const who = asker.principal;
  // what was asked; the port and tolerance as the numbers their digits name, whichever door (a
  // query string or a form) brought them as text. Assigned, not spread: conditional spreads take
  // V8's slow path on every look-up.
  const query: Record<string, unknown> = Object.assign<Record<string, unknown>, QueryInput>({}, q);
  if (nq.port !== null) query.port = nq.port;
  if (nq.tolerance !== undefined) query.tolerance = nq.tolerance;
  const entry: AuditEntry = {
    kind: 'lookup', time: new Date().toISOString(), user: who.name, tokenId: who.tokenId, client: asker.client,
    case: r.case, legalBasis: r.legalBasis, purpose: r.purpose, route: asker.route, query,
    normalised: { ip: nq.ip, port: nq.port, instants: answer.instants.map((i) => i.utc), tolerance: answer.query.tolerance },
    status: answer.status, disclosed: answer.candidates.map((c) => c.subscriberId),
  };
  if (extra.details) entry.details = extra.details;
  let record: AuditRecord;
  try {
    record = await fastify.accessLog.append(entry);
  } catch {
    throw new DomainError('access_log_unavailable', 'the access log could not be written, so nothing is disclosed; try again shortly');
  }
  return { answer, record, value: extra.value };
}
