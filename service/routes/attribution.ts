import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import { canonicalIp } from '../../core/ip.js';
import { QueryError } from '../../resolver/resolve.js';
import { AttributionRequestSchema } from '../../schemas/attribution.js';
import { badRequest, HttpError } from '../errors.js';

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
        throw badRequest(`legalBasis: ${JSON.stringify(legalBasis)} is not one of ${opts.legalBases.join(', ')} (WHOHAD_LEGAL_BASES)`);
      }
      const ip = canonicalIp(q.ip);
      if (!ip) throw badRequest(`ip: ${JSON.stringify(q.ip)} is not an IPv4 or IPv6 address`);
      let answer;
      try {
        answer = await fastify.resolver.resolve({ ...q, ip, port: q.port ?? null });
      } catch (err) {
        if (err instanceof QueryError) throw badRequest(err.message);
        throw err;
      }
      fastify.metrics.lookups.inc({ status: answer.status });
      const who = req.principal!;
      try {
        await fastify.accessLog.append({
          kind: 'lookup', time: new Date().toISOString(), user: who.name, tokenId: who.tokenId, client: req.ip,
          case: caseRef, legalBasis, purpose, route: 'GET /v1/attribution', query: { ...q },
          normalised: { ip, port: q.port ?? null, instants: answer.instants.map((i) => i.utc), tolerance: answer.query.tolerance },
          status: answer.status, disclosed: answer.candidates.map((c) => c.subscriberId),
        });
      } catch {
        throw new HttpError(503, 'the access log could not be written, so nothing is disclosed; try again shortly');
      }
      return answer;
    },
  );
};

export default fp(attribution, { name: 'routes/attribution', dependencies: ['schemas', 'access', 'index-services', 'metrics'], encapsulate: true });
