import { join } from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import Type from 'typebox';
import { BulkJobStore } from '../../bulk/jobs.js';
import { ResultFiles } from '../../bulk/result-files.js';
import { loadSigningKey, publicKeys, type SigningKey } from '../../core/signing-key.js';
import { DomainError } from '../../core/domain-error.js';
import { readLastEvents } from '../../intake/last-event.js';
import { bulkReportPart } from '../../report/bulk.js';
import { contentHashOf } from '../../report/canonical.js';
import { bulkContent, lookupContent, withAccessLog, type ReportContent } from '../../report/document.js';
import { renderReportPdf } from '../../report/pdf.js';
import { signedReportBytes, signReport } from '../../report/sign.js';
import { BulkJobParamsSchema } from '../../schemas/bulk.js';
import { BulkReportQuerySchema, PublicKeysSchema, ReportRequestSchema, SignedReportSchema } from '../../schemas/report.js';
import type { Config } from '../../config.js';
import { HttpError } from '../errors.js';
import { lookUp } from '../lookup.js';

export interface ReportRouteOptions {
  config: Pick<Config, 'legalBases' | 'dataDir' | 'signingKey' | 'bulkResultTtlS'>;
  /** The installation's key; by default loaded (or made) under the data directory on first use. */
  signingKey?: () => SigningKey;
}

type Format = 'json' | 'pdf';

/** The answer's form: `format` if given, else the Accept header; JSON unless PDF is preferred. */
function formatOf(req: FastifyRequest, explicit: Format | undefined): Format {
  if (explicit) return explicit;
  const accept = (req.headers.accept ?? '*/*').toLowerCase();
  const ranked = accept
    .split(',')
    .map((part, i) => {
      const [type, ...params] = part.trim().split(';');
      const q = Number(params.map((p) => p.trim()).find((p) => p.startsWith('q='))?.slice(2) ?? 1);
      return { type: type.trim(), q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((m) => m.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const m of ranked) {
    if (m.type === 'application/pdf') return 'pdf';
    if (m.type === 'application/json' || m.type === 'application/*' || m.type === '*/*') return 'json';
  }
  throw new HttpError(406, `Accept ${JSON.stringify(req.headers.accept)}: a report is application/json or application/pdf (or give format=json|pdf)`);
}

const fileName = (kind: string, caseRef: string | null, fingerprint: string, ext: string) =>
  `whohad-${kind}-${(caseRef ?? 'no-case').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60)}-${fingerprint.slice(0, 12)}.${ext}`;

const err = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: 'Error#' } } } });
const reportOut = {
  description: 'the signed report: its canonical JSON, or a PDF rendering that carries that JSON as an attached file',
  content: { 'application/json': { schema: SignedReportSchema }, 'application/pdf': { schema: Type.String({ format: 'binary' }) } },
};

const report: FastifyPluginAsyncTypebox<ReportRouteOptions> = async (fastify, opts) => {
  const { config } = opts;
  let key: SigningKey | null = null;
  const signingKey = () => (key ??= opts.signingKey ? opts.signingKey() : loadSigningKey(config));
  const jobs = new BulkJobStore(fastify.redis, config.bulkResultTtlS);
  const results = new ResultFiles(join(config.dataDir, 'bulk'));

  async function send(reply: FastifyReply, format: Format, content: ReportContent, record: { chain: string; seq: number; hash: string }) {
    const signed = signReport(withAccessLog(content, record), signingKey());
    if (format === 'pdf') {
      const pdf = await renderReportPdf(signed);
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="${fileName(content.kind, content.grounds.case, signed.fingerprint, 'pdf')}"`)
        .header('x-whohad-fingerprint', signed.fingerprint)
        .send(pdf);
    }
    return reply
      .type('application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="${fileName(content.kind, content.grounds.case, signed.fingerprint, 'json')}"`)
      .header('x-whohad-fingerprint', signed.fingerprint)
      .send(signedReportBytes(signed).toString('utf8'));
  }

  fastify.get(
    '/v1/attribution/report',
    {
      config: { role: 'investigator' },
      schema: {
        tags: ['attribution'],
        summary: 'The signed disclosure report of a look-up (JSON or PDF)',
        description:
          'The same look-up as `GET /v1/attribution` (same parameters, role and checks, and an access-log record written before anything leaves), answered with the report: the question as asked, the instants, status and reasons, every candidate with every evidence record, the freshness of every source, who asked and why, and the access-log record, whose details hold the report\'s content hash. Signed with the installation\'s Ed25519 key (see `GET /v1/keys`). `Accept: application/pdf` (or `format=pdf`) gives the PDF, which carries the signed JSON as an attached file.',
        querystring: ReportRequestSchema,
        security: [{ bearer: [] }],
        produces: ['application/json', 'application/pdf'],
        response: { 200: reportOut, 400: err('a parameter is wrong (named)'), 401: err('no valid token'), 403: err('the token lacks the investigator role'), 406: err('neither JSON nor PDF is acceptable'), 503: err('the access log or the store is away: nothing was disclosed') },
      },
    },
    async (req, reply) => {
      const { format: asked, ...request } = req.query;
      const format = formatOf(req, asked);
      // a key that cannot be read stops the look-up before it is recorded as disclosed
      signingKey();
      const who = req.principal!;
      const { case: caseRef, legalBasis, purpose, ...question } = request;
      const grounds = { case: caseRef, legalBasis, purpose };
      const asker = { principal: who, client: req.ip, route: 'GET /v1/attribution/report' };
      const { record, value } = await lookUp(fastify, config.legalBases, { query: question, ...grounds }, asker, async (answer) => {
        const content = lookupContent(
          { madeAt: new Date().toISOString(), requester: { user: who.name, tokenId: who.tokenId, client: req.ip }, grounds, sources: await readLastEvents(fastify.redis) },
          question,
          answer,
        );
        return { details: { reportContentHash: contentHashOf(content), reportFormat: format }, value: content };
      });
      return send(reply, format, value, record);
    },
  );

  fastify.get(
    '/v1/attribution/bulk/:job/report',
    {
      config: { role: 'investigator' },
      schema: {
        tags: ['attribution'],
        summary: 'The signed disclosure report of a finished bulk job (JSON or PDF)',
        description:
          'The job\'s counts per status and reason, the corroboration table, the SHA-256 of its kept result (background jobs), and the access-log records its rows were disclosed under, with who uploaded it and why. Handing out the report is itself recorded in the access log (its details hold the report\'s content hash) before it leaves. Signed as `GET /v1/attribution/report` is.',
        params: BulkJobParamsSchema,
        querystring: BulkReportQuerySchema,
        security: [{ bearer: [] }],
        produces: ['application/json', 'application/pdf'],
        response: { 200: reportOut, 404: err('no such job (never existed, or expired)'), 406: err('neither JSON nor PDF is acceptable'), 409: err('the job is still running, or failed'), 503: err('the access log or the store is away: nothing was disclosed') },
      },
    },
    async (req, reply) => {
      const format = formatOf(req, req.query.format);
      signingKey();
      const state = await jobs.get(req.params.job);
      // a job is its owner's: anyone else gets the 404 of a job that does not exist
      if (!state || state.owner?.tokenId !== req.principal!.tokenId) throw new DomainError('not_found', `no bulk job ${req.params.job}: it never existed, or it ended more than WHOHAD_BULK_RESULT_TTL_S (${config.bulkResultTtlS} s) ago and was deleted`, 'job');
      if (state.state !== 'done') throw new DomainError('conflict', state.state === 'failed' ? `job ${state.job} failed: ${state.error}` : `job ${state.job} is still running: its report is ready when it is done`, 'job');
      const { part, grounds } = await bulkReportPart(fastify.redis, jobs, results, state);
      const who = req.principal!;
      const content = bulkContent(
        {
          madeAt: new Date().toISOString(),
          requester: { user: who.name, tokenId: who.tokenId, client: req.ip },
          grounds: { case: grounds.case, legalBasis: grounds.legalBasis, purpose: grounds.purpose },
          sources: await readLastEvents(fastify.redis),
        },
        part,
      );
      let record;
      try {
        record = await fastify.accessLog.append({
          kind: 'bulk', time: new Date().toISOString(), user: who.name, tokenId: who.tokenId, client: req.ip,
          case: grounds.case, legalBasis: grounds.legalBasis, purpose: grounds.purpose, route: 'GET /v1/attribution/bulk/{job}/report',
          query: { job: state.job, report: format }, status: 'report',
          disclosed: part.corroboration.map((c) => c.subscriberId),
          details: { reportContentHash: contentHashOf(content), reportFormat: format, uploadedBy: grounds.user },
        });
      } catch {
        throw new DomainError('access_log_unavailable', 'the access log could not be written, so nothing is disclosed; try again shortly');
      }
      return send(reply, format, content, record);
    },
  );

  fastify.get(
    '/v1/keys',
    {
      schema: {
        tags: ['report'],
        summary: 'The public keys reports are signed with',
        description: 'Every Ed25519 public key this installation has signed with, by id (the SHA-256 of its SPKI DER); retired keys stay listed so older reports still verify. Public: a verifier needs no token.',
        response: { 200: PublicKeysSchema },
      },
    },
    async () => {
      signingKey();
      return { keys: publicKeys(config.dataDir).map((k) => ({ algorithm: 'Ed25519' as const, ...k })) };
    },
  );
};

export default fp(report, { name: 'routes/report', dependencies: ['schemas', 'access', 'index-services', 'metrics'], encapsulate: true });
