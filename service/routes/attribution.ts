import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import { AttributionRequestSchema } from '../../schemas/attribution.js';
import { lookUp } from '../lookup.js';

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
      const { case: caseRef, legalBasis, purpose, ...query } = req.query;
      const asker = { principal: req.principal!, client: req.ip, route: 'GET /v1/attribution' };
      return (await lookUp(fastify, opts.legalBases, { query, case: caseRef, legalBasis, purpose }, asker)).answer;
    },
  );
};

export default fp(attribution, { name: 'routes/attribution', dependencies: ['schemas', 'access', 'index-services', 'metrics'], encapsulate: true });
