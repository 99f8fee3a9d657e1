import type { FastifyInstance } from 'fastify';
import { auditPage as readAudit, verifyChain } from '../../../audit/read.js';
import { parseIsoInstant } from '../../../core/time.js';
import { contextOf, sendPage } from '../context.js';
import { auditPage, subjectPage, verifyPage, type AuditSearch } from '../pages/records.js';

const str = (q: unknown, name: string, max: number) => String((q as Record<string, unknown>)[name] ?? '').trim().slice(0, max);

/** The auditor's pages: the access log searched, the hash chain verified, one data subject's disclosures. */
export default async function auditRoutes(fastify: FastifyInstance): Promise<void> {
  const page = { role: 'auditor' as const, page: true };

  fastify.get('/audit', { config: page, schema: { hide: true } }, async (req, reply) => {
    const q = req.query;
    const s: AuditSearch = { user: str(q, 'user', 128), case: str(q, 'case', 256), subscriber: str(q, 'subscriber', 128), from: str(q, 'from', 40), to: str(q, 'to', 40) };
    const before = str(q, 'before', 48);
    const problems: string[] = [];
    const instant = (name: 'from' | 'to') => {
      if (s[name] === '') return undefined;
      const ms = parseIsoInstant(s[name]);
      if (ms === null) problems.push(`${name}: ${JSON.stringify(s[name])} is not an ISO 8601 instant with Z or an offset`);
      return ms ?? undefined;
    };
    const from = instant('from');
    const to = instant('to');
    if (before !== '' && !/^\d+-\d+$/.test(before)) problems.push('before: not a cursor from the previous page');
    if (problems.length > 0) return sendPage(reply, auditPage(contextOf(req, reply), s, [], null, problems.join('; ')), 400);
    const result = await readAudit(fastify.redis, {
      user: s.user || undefined, case: s.case || undefined, subscriber: s.subscriber || undefined, from, to, limit: 100, before: before || undefined,
    });
    return sendPage(reply, auditPage(contextOf(req, reply), s, result.records, result.next, null));
  });

  fastify.get('/audit/verify', { config: page, schema: { hide: true } }, async (req, reply) => sendPage(reply, verifyPage(contextOf(req, reply), await verifyChain(fastify.redis))));

  fastify.get('/audit/subject', { config: page, schema: { hide: true } }, async (req, reply) => {
    const subscriber = str(req.query, 'subscriber', 128);
    const records = subscriber ? (await readAudit(fastify.redis, { subscriber, limit: 1000 })).records : [];
    return sendPage(reply, subjectPage(contextOf(req, reply), subscriber, records));
  });
}
