import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import Type from 'typebox';
import { stringify } from 'csv-stringify/sync';
import { auditPage, verifyChain } from '../../audit/read.js';
import { CSV_QUOTED_MATCH, neutralise } from '../../core/spreadsheet.js';
import { parseIsoInstant } from '../../core/time.js';
import { badRequest } from '../errors.js';

const AuditQuery = Type.Object(
  {
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    case: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    subscriber: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'the look-ups that disclosed this subscriber: who searched them, when and why' })),
    from: Type.Optional(Type.String({ description: 'ISO 8601 instant, inclusive' })),
    to: Type.Optional(Type.String({ description: 'ISO 8601 instant, inclusive' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    before: Type.Optional(Type.String({ pattern: '^\\d+-\\d+$', description: 'cursor: the `next` of the previous page' })),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
  },
  { additionalProperties: false },
);

const COLUMNS = ['seq', 'time', 'kind', 'user', 'tokenId', 'client', 'case', 'legalBasis', 'purpose', 'route', 'query', 'status', 'reason', 'disclosed', 'hash'] as const;

function instant(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseIsoInstant(text);
  if (ms === null) throw badRequest(`${name}: ${JSON.stringify(text)} is not an ISO 8601 instant with Z or an offset`);
  return ms;
}

const audit: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/v1/audit',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['audit'],
        summary: 'The access log, newest first',
        description: 'Every look-up and every refused request. Filter by user, case or disclosed subscriber and by time; page with `before`. `format=csv` exports the page as CSV.',
        querystring: AuditQuery,
        security: [{ bearer: [] }],
      },
    },
    async (req, reply) => {
      const q = req.query;
      const page = await auditPage(fastify.redis, {
        user: q.user, case: q.case, subscriber: q.subscriber, from: instant(q.from, 'from'), to: instant(q.to, 'to'), limit: q.limit ?? 100, before: q.before,
      });
      if (q.format === 'csv') {
        const rows = page.records.map((r) =>
          COLUMNS.map((c) => {
            const v = c === 'disclosed' ? r.disclosed.join(';') : c === 'query' ? JSON.stringify(r.query ?? {}) : (r as unknown as Record<string, unknown>)[c];
            return neutralise(v === null || v === undefined ? '' : String(v));
          }),
        );
        if (page.next) reply.header('x-next-page', page.next);
        return reply.type('text/csv; charset=utf-8').send(stringify([COLUMNS as unknown as string[], ...rows], { quoted_match: CSV_QUOTED_MATCH }));
      }
      return page;
    },
  );

  fastify.get(
    '/v1/audit/verify',
    {
      config: { role: 'auditor' },
      schema: { tags: ['audit'], summary: 'Recompute the access log hash chain and name the first broken record', security: [{ bearer: [] }] },
    },
    async () => verifyChain(fastify.redis),
  );
};

export default fp(audit, { name: 'routes/audit', dependencies: ['redis', 'access'], encapsulate: true });
