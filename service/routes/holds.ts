import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Actor } from '../../retention/holds.js';
import { HoldCreateSchema, HoldLiftQuerySchema, HoldListQuerySchema, HoldListSchema, HoldParamsSchema, HoldSchema } from '../../schemas/holds.js';

const err = { $ref: 'Error#' };
const refused = { 401: err, 403: err };

const actor = (req: FastifyRequest, route: string): Actor => ({ user: req.principal!.name, tokenId: req.principal!.tokenId, client: req.ip, route });

/** Legal holds: records of a case kept past retention until lifted (docs/retention.md). */
const holds: FastifyPluginAsyncTypebox = async (fastify) => {
  const store = fastify.holdStore;

  fastify.post(
    '/v1/holds',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['retention'],
        summary: 'Place a legal hold',
        description:
          'Keeps the records in scope past retention until the hold is lifted, and lets look-ups of instants it covers be answered. Recorded in the access log (503 and no hold if it cannot be).',
        body: HoldCreateSchema,
        security: [{ bearer: [] }],
        response: { 201: HoldSchema, 400: err, ...refused, 503: err },
      },
    },
    async (req, reply) => {
      const hold = await store.create(req.body, actor(req, 'POST /v1/holds'), fastify.accessLog);
      return reply.code(201).send(hold);
    },
  );

  fastify.get(
    '/v1/holds',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['retention'],
        summary: 'List legal holds, oldest first (lifted ones too, unless active=true)',
        querystring: HoldListQuerySchema,
        security: [{ bearer: [] }],
        response: { 200: HoldListSchema, 400: err, ...refused },
      },
    },
    async (req) => {
      const all = await store.list();
      return { holds: req.query.active ? all.filter((h) => h.lifted === null) : all };
    },
  );

  fastify.delete(
    '/v1/holds/:id',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['retention'],
        summary: 'Lift a legal hold',
        description: 'The hold is kept, marked lifted; the next purge removes what only it kept. Recorded in the access log. 409 if it was lifted already.',
        params: HoldParamsSchema,
        querystring: HoldLiftQuerySchema,
        security: [{ bearer: [] }],
        response: { 200: HoldSchema, 400: err, ...refused, 404: err, 409: err, 503: err },
      },
    },
    async (req) => store.lift(req.params.id, actor(req, 'DELETE /v1/holds/{id}'), fastify.accessLog, req.query.reason),
  );
};

export default fp(holds, { name: 'routes/holds', dependencies: ['schemas', 'access', 'hold-store'], encapsulate: true });
