import type { FastifyInstance } from 'fastify';
import { auditPage } from '../../../audit/read.js';
import { normaliseQuery } from '../../../resolver/query.js';
import { lookUp } from '../../lookup.js';
import { contextOf, field, sendPage } from '../context.js';
import { groundsErrors } from '../grounds.js';
import type { DeskOptions } from '../index.js';
import { answerPage, lookupFormPage, type LookupForm } from '../pages/lookup.js';
import { casePage } from '../pages/records.js';
import { zoneList } from '../zones.js';

const FIELDS = ['ip', 'port', 'at', 'tz', 'tolerance', 'case', 'legalBasis', 'purpose'] as const;

/** The look-up form, its answer page, and a case's history from the access log. */
export default async function lookupRoutes(fastify: FastifyInstance, opts: DeskOptions): Promise<void> {
  const { config } = opts;
  const zones = zoneList(config.deskTimeZone);
  const page = { role: 'investigator' as const, page: true };

  fastify.get('/lookup', { config: page, schema: { hide: true } }, async (req, reply) => {
    const remembered = await fastify.deskSessions.remembered(req.deskSession!.id);
    const caseRef = String((req.query as Record<string, unknown>).case ?? '').slice(0, 256);
    const grounds = remembered.get(caseRef);
    const form: LookupForm = {
      ip: '', port: '', at: '', tz: config.deskTimeZone, tolerance: String(config.toleranceS),
      case: caseRef, legalBasis: grounds?.legalBasis ?? config.legalBases[0] ?? '', purpose: grounds?.purpose ?? '',
    };
    return sendPage(reply, lookupFormPage(contextOf(req, reply), { form, errors: [], zones, legalBases: config.legalBases, remembered }));
  });

  fastify.post('/lookup', { config: page, schema: { hide: true } }, async (req, reply) => {
    const form = Object.fromEntries(FIELDS.map((f) => [f, field(req.body, f).trim()])) as unknown as LookupForm;
    const query = { ip: form.ip, port: form.port === '' ? undefined : form.port, at: form.at, tz: form.tz === '' ? undefined : form.tz, tolerance: form.tolerance === '' ? undefined : form.tolerance };
    // every problem at once, each naming its field, before anything is asked
    const normalised = normaliseQuery(query);
    const errors = [...(normalised.ok ? [] : normalised.errors.map((e) => ({ field: e.field, message: e.message }))), ...groundsErrors(form, config.legalBases)];
    const session = req.deskSession!;
    if (errors.length > 0) {
      const remembered = await fastify.deskSessions.remembered(session.id);
      return sendPage(reply, lookupFormPage(contextOf(req, reply), { form, errors, zones, legalBases: config.legalBases, remembered }), 400);
    }
    await fastify.deskSessions.remember(session.id, form.case, { legalBasis: form.legalBasis, purpose: form.purpose });
    const { answer, record } = await lookUp(
      fastify, config.legalBases,
      { query, case: form.case, legalBasis: form.legalBasis, purpose: form.purpose },
      { principal: req.principal!, client: req.ip, route: 'POST /lookup' },
    );
    return sendPage(reply, answerPage(contextOf(req, reply), answer, record, form));
  });

  fastify.get('/case', { config: page, schema: { hide: true } }, async (req, reply) => {
    const caseRef = String((req.query as Record<string, unknown>).case ?? '').slice(0, 256);
    const who = req.principal!;
    // an investigator sees their own look-ups of the case; the whole log is the auditor's
    const onlyOwn = !who.roles.includes('auditor');
    let records = caseRef ? (await auditPage(fastify.redis, { case: caseRef, limit: 1000 })).records : [];
    if (onlyOwn) records = records.filter((r) => r.user === who.name);
    return sendPage(reply, casePage(contextOf(req, reply), caseRef, records, onlyOwn));
  });
}
