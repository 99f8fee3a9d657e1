import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import Type from 'typebox';
import { recordIngest, sourceRefusal, tokenIngest } from '../../audit/provenance.js';
import { eventFromWire } from '../../events/wire.js';
import type { CanonicalEvent } from '../../events/schema.js';
import { IngestResultSchema } from '../../schemas/http.js';
import { storeForRequest } from '../store-batch.js';
import { textBody } from '../text-body.js';

const Body = Type.Union([
  Type.Array(Type.Unknown(), { description: 'canonical events (application/json)' }),
  Type.String({ description: 'canonical events, one JSON object a line (application/x-ndjson)' }),
]);

interface Row {
  line: number;
  value: unknown;
  error?: string;
}

function rowsOf(body: unknown): Row[] {
  if (Array.isArray(body)) return body.map((value, i) => ({ line: i + 1, value }));
  const rows: Row[] = [];
  (body as string).split('\n').forEach((text, i) => {
    const t = text.trim();
    if (t === '') return;
    try {
      rows.push({ line: i + 1, value: JSON.parse(t) });
    } catch (err) {
      rows.push({ line: i + 1, value: null, error: `not JSON: ${(err as Error).message}` });
    }
  });
  return rows;
}

/** Events stored per source: those of the good lines that the store did not reject. */
function storedPerSource(good: CanonicalEvent[], lines: number[], rejected: Array<{ line: number }>): Record<string, number> {
  const failed = new Set(rejected.map((r) => r.line));
  const out: Record<string, number> = {};
  good.forEach((e, i) => {
    if (!failed.has(lines[i])) out[e.source] = (out[e.source] ?? 0) + 1;
  });
  return out;
}

const events: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.addContentTypeParser(['application/x-ndjson', 'application/jsonl'], { parseAs: 'buffer' }, textBody);

  fastify.post(
    '/v1/events',
    {
      config: { role: 'ingest' },
      schema: {
        tags: ['ingest'],
        security: [{ bearer: [] }],
        summary: 'Store canonical events',
        description:
          'Takes NDJSON (application/x-ndjson) or a JSON array of canonical events. Valid events are stored even when others are rejected; each rejected event is listed with its line and the reason. 413 when the body is over the limit.',
        body: Body,
        response: { 200: IngestResultSchema, 400: { $ref: 'Error#' }, 413: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const who = req.principal!;
      const rejected: Array<{ line: number; reason: string }> = [];
      const good: CanonicalEvent[] = [];
      const lines: number[] = [];
      for (const row of rowsOf(req.body)) {
        if (row.error) {
          rejected.push({ line: row.line, reason: row.error });
          continue;
        }
        const r = eventFromWire(row.value);
        if (!r.ok) {
          rejected.push({ line: row.line, reason: r.reason });
          continue;
        }
        const refused = sourceRefusal(who, r.event.source);
        if (refused) rejected.push({ line: row.line, reason: refused });
        else {
          good.push(r.event);
          lines.push(row.line);
        }
      }
      const accepted = await storeForRequest(fastify.indexWriter, good, lines, rejected, fastify.sourceStats, tokenIngest(who));
      rejected.sort((a, b) => a.line - b.line);
      fastify.metrics.countIngest('canonical', accepted, rejected.length);
      await recordIngest(fastify.accessLog, who, { client: req.ip, route: 'POST /v1/events', format: 'canonical', sources: storedPerSource(good, lines, rejected), accepted, rejected: rejected.length });
      return { accepted, rejected };
    },
  );
};

export default fp(events, { name: 'routes/events', dependencies: ['schemas', 'access', 'index-services', 'metrics'], encapsulate: true });
