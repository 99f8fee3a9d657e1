import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditRecord } from '../audit/log.js';
import { DomainError } from '../core/domain-error.js';
import { normaliseQuery, type NormalisedQuery } from '../resolver/query.js';
import type { AttributionAnswer, AttributionQuery, AttributionRequest, Purpose } from '../schemas/attribution.js';

/** What a door adds to the access-log record of its look-up (a report adds its hash), made from the answer. */
export type RecordDetails<T> = (answer: AttributionAnswer, question: AttributionQuery, grounds: Purpose) => Promise<{ details: Record<string, unknown>; value: T }>;

export interface RecordedLookup<T> {
  answer: AttributionAnswer;
  question: AttributionQuery;
  grounds: Purpose;
  record: AuditRecord;
  value: T;
}

/**
 * One look-up as every REST door makes it: the legal basis checked against the configured list,
 * the question read by the one normaliser, the answer resolved, and the access-log record
 * written before anything leaves (if it cannot be, nothing is disclosed). `GET /v1/attribution`
 * and `GET /v1/attribution/report` both come through here.
 */
export async function recordedLookup<T = undefined>(
  fastify: FastifyInstance,
  req: FastifyRequest,
  request: AttributionRequest,
  o: { legalBases: string[]; route: string; details?: RecordDetails<T> },
): Promise<RecordedLookup<T>> {
  const { case: caseRef, legalBasis, purpose, ...q } = request;
  if (!o.legalBases.includes(legalBasis)) {
    throw new DomainError('bad_parameter', `${JSON.stringify(legalBasis)} is not one of ${o.legalBases.join(', ')} (WHOHAD_LEGAL_BASES)`, 'legalBasis');
  }
  const normalised = normaliseQuery(q);
  if (!normalised.ok) throw normalised.errors[0];
  const nq: NormalisedQuery = normalised.query;
  const answer = await fastify.resolver.resolve(nq);
  fastify.metrics.lookups.inc({ status: answer.status });
  const grounds = { case: caseRef, legalBasis, purpose };
  const extra = o.details ? await o.details(answer, q, grounds) : { details: undefined, value: undefined as T };
  const who = req.principal!;
  let record: AuditRecord;
  try {
    record = await fastify.accessLog.append({
      kind: 'lookup', time: new Date().toISOString(), user: who.name, tokenId: who.tokenId, client: req.ip,
      case: caseRef, legalBasis, purpose, route: o.route,
      // what was asked; the port as the number its decimal digits name (nothing else is read as one)
      query: { ...q, ...(nq.port === null ? {} : { port: nq.port }) },
      normalised: { ip: nq.ip, port: nq.port, instants: answer.instants.map((i) => i.utc), tolerance: answer.query.tolerance },
      status: answer.status, disclosed: answer.candidates.map((c) => c.subscriberId),
      ...(extra.details ? { details: extra.details } : {}),
    });
  } catch {
    throw new DomainError('access_log_unavailable', 'the access log could not be written, so nothing is disclosed; try again shortly');
  }
  return { answer, question: q, grounds, record, value: extra.value };
}
