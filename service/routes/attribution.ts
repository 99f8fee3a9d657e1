import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import { DomainError } from '../../core/domain-error.js';
import { normaliseQuery } from '../../resolver/query.js';
import { AttributionRequestSchema } from '../../schemas/attribution.js';

export interface AttributionRouteOptions {
  legalBases: string[];
}

const attribution: FastifyPluginAsyncTypebox<AttributionRouteOptions> = async (fastify, opts) => {
  fastify.get(
    '/v1/attribution',
    {
      config: { role: 'investigator' },
      schema: {
        tags: ['attribution'],
        summary: 'Who had ip:port at an instant',
        description:
          'Answers 200 for every status (unique, ambiguous, not_found, outside_retention); 400 names the parameter that is wrong. Needs an investigator token and the case, legal basis and purpose of the look-up, which go into the access log before the answer leaves the service (503 if they cannot).',
        querystring: AttributionRequestSchema,
        security: [{ bearer: [] }],
        response: { 200: { $ref: 'AttributionAnswer#' }, 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 503: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const { case: caseRef, legalBasis, purpose, ...q } = req.query;
      if (!opts.legalBases.includes(legalBasis)) {
        throw new DomainError('bad_parameter', `${JSON.stringify(legalBasis)} is not one of ${opts.legalBases.join(', ')} (WHOHAD_LEGAL_BASES)`, 'legalBasis');
      }
      const normalised = normaliseQuery(q);
      if (!normalised.ok) throw normalised.errors[0];
      const nq = normalised.query;
      const answer = await fastify.resolver.resolve(nq);
      fastify.metrics.lookups.inc({ status: answer.status });
      const who = req.principal!;
      try {
        await fastify.accessLog.append({
          kind: 'lookup', time: new Date().toISOString(), user: who.name, tokenId: who.tokenId, client: req.ip,
          case: caseRef, legalBasis, purpose, route: 'GET /v1/attribution',
          // what was asked; the port as the number its decimal digits name (nothing else is read as one)
          query: { ...q, ...(nq.port === null ? {} : { port: nq.port }) },
          normalised: { ip: nq.ip, port: nq.port, instants: answer.instants.map((i) => i.utc), tolerance: answer.query.tolerance },
          status: answer.status, disclosed: answer.candidates.map((c) => c.subscriberId),
        });
      } catch {
        throw new DomainError('access_log_unavailable', 'the access log could not be written, so nothing is disclosed; try again shortly');
      }
      return answer;
    },
  );
};

export default fp(attribution, { name: 'routes/attribution', dependencies: ['schemas', 'access', 'index-services', 'metrics'], encapsulate: true });
