import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Readable } from 'node:stream';
import Type from 'typebox';
import { join } from 'node:path';
import { AsyncJobs, StorageQuotaError } from '../../bulk/async-job.js';
import { batchRecorder, type BulkAsker } from '../../bulk/audited.js';
import { recordDownload } from '../../bulk/downloads.js';
import { badInput, openBulkInput, tooLarge } from '../../bulk/input.js';
import { BulkJobStore, JobLimitError, storeError, type JobOwner, type JobState, type StoredJob } from '../../bulk/jobs.js';
import { Leases } from '../../bulk/leases.js';
import { ResultFiles } from '../../bulk/result-files.js';
import type { RowDefaults } from '../../bulk/row.js';
import { answerRows, BATCH_TARGET_MS, encodeBatches, type BulkFormat, type Resolve, type ResolveCompact } from '../../bulk/run.js';
import { SummaryAccumulator } from '../../bulk/summary.js';
import { DomainError } from '../../core/domain-error.js';
import { normaliseTz } from '../../resolver/query.js';
import { BulkJobParamsSchema, BulkJobSchema, BulkQuerySchema, BulkSummarySchema, type BulkQuery } from '../../schemas/bulk.js';
import type { Config } from '../../config.js';
import type { Resolver } from '../../resolver/resolve.js';
import { badRequest, HttpError } from '../errors.js';

export interface BulkOptions {
  config: Pick<Config, 'bulkLimitBytes' | 'bulkResultTtlS' | 'bulkMaxRunning' | 'bulkMaxStoredBytes' | 'legalBases' | 'dataDir' | 'instance'>;
}

const CSV_TYPES = ['text/csv', 'application/csv', 'text/plain'];
const MEDIA: Record<BulkFormat, string> = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson; charset=utf-8' };
const BASE = '/v1/attribution/bulk';
/** Text the streamed answer is sent in; small enough that the first rows leave early. */
const STREAM_CHUNK_CHARS = 16 * 1024;

/** What an upload asks for and who asks it why, taken from the request in one place. */
interface BulkRequest {
  defaults: RowDefaults;
  format: BulkFormat;
  asker: BulkAsker;
  owner: JobOwner;
}

function bulkRequest(req: FastifyRequest<{ Querystring: BulkQuery }>, legalBases: string[]): BulkRequest {
  const q = req.query;
  const tz = normaliseTz(q.tz);
  if (tz instanceof DomainError) throw tz;
  if (!legalBases.includes(q.legalBasis)) throw badRequest(`legalBasis: ${JSON.stringify(q.legalBasis)} is not one of ${legalBases.join(', ')} (WHOHAD_LEGAL_BASES)`);
  const who = req.principal!;
  return {
    defaults: { tz, tolerance: q.tolerance },
    format: q.format ?? 'csv',
    asker: { user: who.name, tokenId: who.tokenId, client: req.ip, case: q.case, legalBasis: q.legalBasis, purpose: q.purpose },
    owner: { tokenId: who.tokenId, user: who.name, case: q.case, legalBasis: q.legalBasis, purpose: q.purpose },
  };
}

/** The job as the API shows it: who owns it and where its file lies stay inside. */
const shown = ({ owner: _o, instance: _i, ...state }: StoredJob): JobState => state;

const links = (s: Pick<JobState, 'job' | 'mode'>) => ({
  self: `${BASE}/${s.job}`,
  result: s.mode === 'async' ? `${BASE}/${s.job}/result` : null,
  summary: `${BASE}/${s.job}/summary`,
});

/** Header values must be ASCII: anything else in the JSON is written as a \u escape. */
const asciiJson = (v: unknown) => JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const uploadBody = Type.Unknown({ description: 'a CSV file with a header line naming its columns: id, ip, port, timestamp (aliases accepted), optional tz' });
const csvOut = { content: { 'text/csv': { schema: Type.String() }, 'application/x-ndjson': { schema: Type.String() } } };
const json = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: 'Error#' } } } });
const errors = {
  400: json('the file cannot be used (empty, no recognisable header, not UTF-8) or a parameter is wrong'),
  401: json('no valid token'),
  403: json('the token lacks the investigator role'),
  413: json('the upload is over WHOHAD_BULK_LIMIT_BYTES'),
  415: json('the body is not CSV'),
  429: json('the token already runs WHOHAD_BULK_MAX_RUNNING bulk jobs'),
  503: json('Redis is full or unreachable, or the access log cannot be written: nothing was disclosed'),
};
const security = [{ bearer: [] }];

/**
 * Bulk's batch look-up on the service's resolver: a batch of rows read in a few script calls.
 * Read at call time, so a resolver swapped on the instance (the benchmark's floor) is used.
 */
export function bulkResolve(service: { resolver: Resolver }): Resolve {
  return (queries) => service.resolver.resolveMany(queries);
}

/** The same, in compact form: what a CSV answer prints, without building the full answers. */
export function bulkResolveCompact(service: { resolver: Resolver }): ResolveCompact {
  return (queries) => service.resolver.resolveCompactMany(queries);
}

/**
 * The batch time bound for `bulkResolve`: a batch holds Redis for its script calls, so batches
 * shrink when one takes longer than this, and single look-ups in between keep their latency.
 */
export const BULK_BATCH_TARGET_MS = BATCH_TARGET_MS;

/** A limit of the token's as the caller's answer: 429 for running jobs, 507 for kept results. */
function limitError(err: unknown): unknown {
  if (err instanceof JobLimitError) return new HttpError(429, err.message);
  if (err instanceof StorageQuotaError) return new HttpError(507, err.message);
  return storeError(err);
}

const bulk: FastifyPluginAsyncTypebox<BulkOptions> = async (fastify, opts) => {
  const { bulkLimitBytes: limit, bulkResultTtlS: ttlS } = opts.config;
  const store = new BulkJobStore(fastify.redis, ttlS);
  const files = new ResultFiles(join(opts.config.dataDir, 'bulk'));
  const leases = new Leases(store, opts.config.bulkMaxRunning);
  const resolve = bulkResolve(fastify);
  const resolveCompact = bulkResolveCompact(fastify);
  const jobs = new AsyncJobs({
    store, files, leases, resolve, resolveCompact, batchTargetMs: BULK_BATCH_TARGET_MS, limitBytes: limit, maxStoredBytes: opts.config.bulkMaxStoredBytes, instance: opts.config.instance,
  });
  // results past their time go, also those of jobs whose instance stopped before it could say so
  const sweep = () => files.sweep(ttlS * 1000 + 60_000).catch((err) => fastify.log.warn({ err }, 'bulk result sweep failed'));
  const sweeper = setInterval(sweep, Math.min(ttlS * 1000, 3_600_000));
  sweeper.unref();
  fastify.addHook('onReady', async () => void sweep());
  fastify.addHook('onClose', async () => {
    clearInterval(sweeper);
    await jobs.close();
    leases.close();
  });

  // the CSV reaches the handler as the raw request stream: nothing is buffered, the limit is ours;
  // no other body type is read here (415)
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(CSV_TYPES, (req, payload, done) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) return done(tooLarge(limit, declared), undefined);
    const charset = /charset\s*=\s*"?([\w-]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii') {
      return done(badInput(`charset ${charset} is not accepted: send the file as UTF-8`), undefined);
    }
    done(null, payload);
  });

  const openInput = (req: FastifyRequest) => openBulkInput(req.body as Readable, limit);

  fastify.post(
    BASE,
    {
      bodyLimit: limit,
      config: { role: 'investigator' },
      schema: {
        tags: ['attribution'],
        summary: 'Resolve a whole log: CSV in, one answer per row out, streamed',
        description:
          'Every row is resolved exactly as `GET /v1/attribution` would answer it. The answer streams back in input order while the upload is still being read: the input columns, then status, subscriber_id, candidates, reasons, instants_utc, evidence. A row that cannot be read gets status `error` and the reason; it never stops the file, and there is one output row per input row. The summary (rows, per status, per reason, top corroborated subscribers) follows in the `x-whohad-summary` trailer; the whole summary with the corroboration table is at the `link` header (`x-whohad-job` is the job id). 400 names what makes the file unusable (empty, no header, not UTF-8); 413 when it is over WHOHAD_BULK_LIMIT_BYTES.',
        consumes: CSV_TYPES,
        querystring: BulkQuerySchema,
        body: uploadBody,
        security,
        response: { 200: { description: 'one row per input row, in input order', ...csvOut }, ...errors },
      },
    },
    async (req, reply) => streamed(bulkRequest(req, opts.config.legalBases), req, reply),
  );

  async function streamed(r: BulkRequest, req: FastifyRequest, reply: FastifyReply) {
    const id = store.newId();
    try {
      await leases.take(r.owner.tokenId, id);
    } catch (err) {
      (req.body as Readable).resume();
      throw limitError(err);
    }
    let input: Awaited<ReturnType<typeof openInput>>;
    try {
      input = await openInput(req);
      await store.create(id, { mode: 'stream', format: r.format, total: null, bytes: input.bytes(), owner: r.owner, instance: opts.config.instance });
    } catch (err) {
      await leases.give(id);
      throw limitError(err);
    }
    const summary = new SummaryAccumulator();
    let stage: 'rows' | 'summary' | 'done' = 'rows';
    const rows = (async function* () {
      try {
        yield* answerRows(input.rows, {
          columns: input.columns, resolve, resolveCompact: r.format === 'csv' ? resolveCompact : undefined, defaults: r.defaults, summary, record: batchRecorder(fastify.accessLog, id, r.asker), targetMs: BULK_BATCH_TARGET_MS,
        });
        stage = 'summary';
        await store.finish(id, summary);
        stage = 'done';
      } finally {
        if (stage !== 'done') {
          const why = stage === 'rows' ? `the answer was not delivered to the end (the client went away after ${summary.rows} rows)` : 'every row was answered, but the summary could not be stored';
          await store.fail(id, why, summary.rows).catch(() => undefined);
        }
        await leases.give(id);
      }
    })();
    const body = encodeBatches(rows, input.columns, r.format, STREAM_CHUNK_CHARS);
    reply
      .type(MEDIA[r.format])
      .header('x-whohad-job', id)
      .header('link', `<${BASE}/${id}/summary>; rel="summary"`)
      .trailer('x-whohad-summary', async () => asciiJson({ job: id, ...summary.counts(), top: summary.top(10), summaryUrl: `${BASE}/${id}/summary` }));
    return reply.send(body);
  }

  fastify.post(
    `${BASE}/jobs`,
    {
      bodyLimit: limit,
      config: { role: 'investigator' },
      schema: {
        tags: ['attribution'],
        summary: 'Resolve a whole log as a background job',
        description:
          'For files too long to keep one request open: the upload is received and checked (encoding, limit, header), then answered 202 with the job; the rows are resolved in the background. Poll the job for progress; download the result (same format as the streamed answer) and the summary when it is done, for WHOHAD_BULK_RESULT_TTL_S after the end.',
        consumes: CSV_TYPES,
        querystring: BulkQuerySchema,
        body: uploadBody,
        security,
        response: { 202: BulkJobSchema, ...errors, 507: json('the token keeps WHOHAD_BULK_MAX_STORED_BYTES of results already') },
      },
    },
    async (req, reply) => {
      const r = bulkRequest(req, opts.config.legalBases);
      let state: JobState;
      try {
        state = shown((await jobs.start(req.body as Readable, r.defaults, r.format, r.owner, (job) => batchRecorder(fastify.accessLog, job, r.asker))) as StoredJob);
      } catch (err) {
        throw limitError(err);
      }
      reply.code(202).header('location', `${BASE}/${state.job}`);
      return { ...state, links: links(state) };
    },
  );

  /**
   * The job, if the asking token made it. Anyone else is told exactly what a job that does not
   * exist gets, so that job ids reveal nothing to other investigators.
   */
  const findJob = async (id: string, req: FastifyRequest): Promise<StoredJob> => {
    const state = await store.get(id);
    if (!state || state.owner?.tokenId !== req.principal!.tokenId) {
      throw new HttpError(404, `no bulk job ${id} of this token: it never existed, was made with another token, or it ended more than WHOHAD_BULK_RESULT_TTL_S (${ttlS} s) ago and was deleted`);
    }
    return state;
  };
  const downloader = (req: FastifyRequest) => ({ user: req.principal!.name, tokenId: req.principal!.tokenId, client: req.ip });
  const notReady = (s: JobState, what: string) =>
    new HttpError(409, s.state === 'failed' ? `job ${s.job} failed: ${s.error}` : `job ${s.job} is still running (${s.rows} of ${s.total ?? '?'} rows): the ${what} is ready when it is done`);
  const jobErrors = { 404: json('no such job (never existed, or expired)'), 409: json('the job is still running, or failed') };

  fastify.get(
    `${BASE}/:job`,
    {
      config: { role: 'investigator' },
      schema: {
        tags: ['attribution'],
        summary: 'State and progress of a bulk job',
        params: BulkJobParamsSchema,
        security,
        response: { 200: BulkJobSchema, 404: jobErrors[404] },
      },
    },
    async (req) => {
      const state = shown(await findJob(req.params.job, req));
      return { ...state, links: links(state) };
    },
  );

  fastify.get(
    `${BASE}/:job/result`,
    {
      config: { role: 'investigator' },
      schema: {
        tags: ['attribution'],
        summary: 'Download the answer of a finished background job',
        description: 'Only for the token that made the job (404 for any other). Each download is recorded in the access log as a disclosure of every subscriber the answer names, before any of it is sent (503 if it cannot be).',
        params: BulkJobParamsSchema,
        security,
        response: { 200: { description: 'the answer, as the streamed variant sends it', ...csvOut }, ...jobErrors, 503: errors[503] },
      },
    },
    async (req, reply) => {
      const state = await findJob(req.params.job, req);
      if (state.mode !== 'async') throw new HttpError(404, `job ${state.job} was answered in its upload's response; only its summary is kept`);
      if (state.state !== 'done') throw notReady(state, 'result');
      const text = await files.reader(state.job, state.format);
      if (!text) {
        throw new HttpError(404, `the result of job ${state.job} is not in this instance's data directory (it was written by ${state.instance ?? 'another instance'}): ask that instance, or share WHOHAD_DATA_DIR between them`);
      }
      try {
        await recordDownload(fastify.accessLog, store, state, downloader(req), 'GET /v1/attribution/bulk/{job}/result');
      } catch (err) {
        text.destroy();
        throw err;
      }
      return reply.type(MEDIA[state.format]).send(text);
    },
  );

  fastify.get(
    `${BASE}/:job/summary`,
    {
      config: { role: 'investigator' },
      schema: {
        tags: ['attribution'],
        summary: 'Summary of a bulk job: counts per status and reason, and the corroboration table',
        description: 'Only for the token that made the job (404 for any other); each download is recorded in the access log as a disclosure of the subscribers the table names.',
        params: BulkJobParamsSchema,
        security,
        response: { 200: BulkSummarySchema, ...jobErrors, 503: errors[503] },
      },
    },
    async (req, reply) => {
      const state = await findJob(req.params.job, req);
      if (state.state !== 'done') throw notReady(state, 'summary');
      await recordDownload(fastify.accessLog, store, state, downloader(req), 'GET /v1/attribution/bulk/{job}/summary');
      return reply.type('application/json; charset=utf-8').send(Readable.from(store.summaryDocument(state), { objectMode: false }));
    },
  );
};

export default fp(bulk, { name: 'routes/bulk', dependencies: ['schemas', 'access', 'index-services'], encapsulate: true });
