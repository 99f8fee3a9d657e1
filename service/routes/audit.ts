import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import Type from 'typebox';
import { stringify } from 'csv-stringify/sync';
import { auditPage, verifyChain } from '../../audit/read.js';
import { CSV_QUOTED_MATCH, neutralise } from '../../core/spreadsheet.js';
import { parseIsoInstant } from '../../core/time.js';
import { DomainError } from '../../core/domain-error.js';
import type { AuditRecord } from '../../audit/log.js';
import { badRequest } from '../errors.js';

const AuditQuery = Type.Object(
  {
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    case: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    subscriber: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'the look-ups that disclosed this subscriber: who searched them, when and why' })),
    tokenId: Type.Optional(Type.String({ pattern: '^[0-9a-f]{12}$', description: "the records of one API token, e.g. the ingest requests behind an answer's evidence (its `ingest.tokenId`)" })),
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

const MAX_ID_PART = 2n ** 64n - 1n;

/** A stream id Redis could have given: two whole numbers below 2^64 (anything else is no cursor of ours). */
function cursor(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const [ms, seq] = text.split('-').map(BigInt);
  if (ms > MAX_ID_PART || seq > MAX_ID_PART) throw badRequest(`before: ${JSON.stringify(text.length > 48 ? `${text.slice(0, 48)}…` : text)} is not a cursor this log gave (use the \`next\` of the previous page)`);
  return text;
}

/**
 * A record as the data subject's view shows it: only that subject among those it disclosed (a
 * bulk record can name 256 people; the others are not this subject's business).
 */
const forSubject = (r: AuditRecord, subject: string): AuditRecord => ({ ...r, disclosed: r.disclosed.filter((d) => d === subject) });

const audit: FastifyPluginAsyncTypebox = async (fastify) => {
  /** Reading the log is reading personal data too: each read is recorded before it is answered. */
  async function recordRead(req: { principal: { name: string; tokenId: string } | null; ip: string }, route: string, query: Record<string, unknown>, details: Record<string, unknown>) {
    const who = req.principal!;
    try {
      await fastify.accessLog.append({ kind: 'audit-read', time: new Date().toISOString(), user: who.name, tokenId: who.tokenId, client: req.ip, route, query, disclosed: [], details });
    } catch {
      throw new DomainError('access_log_unavailable', 'the access log could not be written, so its read is not answered; try again shortly');
    }
  }

  fastify.get(
    '/v1/audit',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['audit'],
        summary: 'The access log, newest first',
        description: 'Every look-up and every refused request. Filter by user, token, case or disclosed subscriber and by time; page with `before`. `format=csv` exports the page as CSV.',
        querystring: AuditQuery,
        security: [{ bearer: [] }],
      },
    },
    async (req, reply) => {
      const q = req.query;
      const page = await auditPage(fastify.redis, {
        user: q.user, tokenId: q.tokenId, case: q.case, subscriber: q.subscriber, from: instant(q.from, 'from'), to: instant(q.to, 'to'), limit: q.limit ?? 100, before: cursor(q.before),
      });
      if (q.subscriber !== undefined) page.records = page.records.map((r) => forSubject(r, q.subscriber!));
      await recordRead(req, 'GET /v1/audit', { ...q }, { records: page.records.length, ...(page.records.length ? { newest: page.records[0].id, oldest: page.records.at(-1)!.id } : {}) });
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
    async (req) => {
      const r = await verifyChain(fastify.redis);
      await recordRead(req, 'GET /v1/audit/verify', {}, { records: r.records, ok: r.ok });
      return r;
    },
  );
};

export default fp(audit, { name: 'routes/audit', dependencies: ['redis', 'access'], encapsulate: true });
