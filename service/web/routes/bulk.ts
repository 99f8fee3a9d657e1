import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { recordDownload } from '../../../bulk/downloads.js';
import { BulkJobStore } from '../../../bulk/jobs.js';
import { ResultFiles } from '../../../bulk/result-files.js';
import type { Corroboration } from '../../../bulk/summary.js';
import { HttpError } from '../../errors.js';
import { contextOf, sendPage } from '../context.js';
import type { DeskOptions } from '../index.js';
import { bulkFormPage, bulkJobPage } from '../pages/bulk.js';
import { resultPage } from '../result-page.js';
import { zoneList } from '../zones.js';

const JOB = /^[A-Za-z0-9_-]{16}$/;

/**
 * The bulk pages. The upload itself goes from the page's script straight to
 * `POST /v1/attribution/bulk/jobs` with the session and its form token, so a file is read,
 * resolved and recorded by the one bulk path; these pages show the job as it runs and after.
 */
export default async function bulkRoutes(fastify: FastifyInstance, opts: DeskOptions): Promise<void> {
  const { config } = opts;
  const zones = zoneList(config.deskTimeZone);
  const store = new BulkJobStore(fastify.redis, config.bulkResultTtlS);
  const results = new ResultFiles(join(config.dataDir, 'bulk'));
  const page = { role: 'investigator' as const, page: true };

  fastify.get('/bulk', { config: page, schema: { hide: true } }, async (req, reply) => {
    const caseRef = String((req.query as Record<string, unknown>).case ?? '').slice(0, 256);
    return sendPage(reply, bulkFormPage(contextOf(req, reply), { zones, defaultTz: config.deskTimeZone, tolerance: config.toleranceS, legalBases: config.legalBases, caseRef }));
  });

  fastify.get('/bulk/:job', { config: page, schema: { hide: true } }, async (req, reply) => {
    const { job } = req.params as { job: string };
    const pageText = String((req.query as Record<string, unknown>).page ?? '1');
    if (!JOB.test(job)) throw new HttpError(400, `job: ${JSON.stringify(job.slice(0, 40))} is not a job id (16 letters, digits, - or _)`);
    if (!/^[1-9][0-9]{0,6}$/.test(pageText)) throw new HttpError(400, `page: ${JSON.stringify(pageText.slice(0, 20))} is not a page number (1 or more)`);
    const state = await store.get(job);
    // a job is its owner's, here as on REST: anyone else gets the 404 of a job that does not exist
    if (!state || state.owner?.tokenId !== req.principal!.tokenId) {
      throw new HttpError(404, `no bulk job ${job} of this token: it never existed, was made with another token, or it ended more than ${config.bulkResultTtlS} s ago and was deleted`);
    }
    let table: Corroboration[] | null = null;
    let result = null;
    if (state.state === 'done') {
      // the corroboration table and a page of rows name subscribers: a disclosure, recorded before it is shown
      await recordDownload(fastify.accessLog, store, state, { user: req.principal!.name, tokenId: req.principal!.tokenId, client: req.ip }, 'GET /bulk/{job}');
      let text = '';
      for await (const part of store.summaryDocument(state)) text += part;
      table = (JSON.parse(text) as { corroboration: Corroboration[] }).corroboration;
      const kept = state.mode === 'async' ? await results.reader(job, state.format) : null;
      if (kept) result = await resultPage(kept.setEncoding('utf8') as AsyncIterable<string>, state.format, Number(pageText));
    }
    return sendPage(reply, bulkJobPage(contextOf(req, reply), state, result, table));
  });
}
