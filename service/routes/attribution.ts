import type { FastifyPluginAsync } from 'fastify';
import { AttributionQuerySchema, type AttributionQuery } from '../../schemas/attribution.js';
import { canonicalIp } from '../../core/ip.js';
import { QueryError } from '../../resolver/resolve.js';
import { badRequest } from '../errors.js';

const attribution: FastifyPluginAsync = async (fastify) => {
  fastify.get<{ Querystring: AttributionQuery }>(
    '/v1/attribution',
    {
      schema: {
        tags: ['attribution'],
        summary: 'Who had ip:port at an instant',
        description: 'Answers 200 for every status (unique, ambiguous, not_found, outside_retention); 400 names the parameter that is wrong.',
        querystring: AttributionQuerySchema,
        response: { 200: { $ref: 'AttributionAnswer#' }, 400: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const q = req.query;
      const ip = canonicalIp(q.ip);
      if (!ip) throw badRequest(`ip: ${JSON.stringify(q.ip)} is not an IPv4 or IPv6 address`);
      try {
        return await fastify.resolver.resolve({ ...q, ip, port: q.port ?? null });
      } catch (err) {
        if (err instanceof QueryError) throw badRequest(err.message);
        throw err;
      }
    },
  );
};

export default attribution;
