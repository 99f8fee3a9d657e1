import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import Type from 'typebox';
import { recordIngest, sourceRefusal, tokenIngest } from '../../audit/provenance.js';
import { loadSourceConfigSync, optionsFor, sourceFor } from '../../intake/sources.js';
import { LineFeeder, LineSplitter } from '../../intake/pipeline.js';
import { formatByName, formatNames, IPFIX } from '../../parse/registry.js';
import type { SourceConfig } from '../../schemas/source-config.js';
import { IngestResultSchema } from '../../schemas/http.js';
import { badRequest, HttpError } from '../errors.js';
import { storeForRequest } from '../store-batch.js';
import { textBody } from '../text-body.js';

export interface IngestRawOptions {
  /** The source configuration file (WHOHAD_SOURCES), for ?source= options. */
  sourcesFile: string | null;
}

const Params = Type.Object({ format: Type.String({ description: `one of: ${formatNames.join(', ')}` }) });
const Query = Type.Object({ source: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'configured source the lines come from (its options apply)' })) }, { additionalProperties: false });

const ingestRaw: FastifyPluginAsyncTypebox<IngestRawOptions> = async (fastify, opts) => {
  const config: SourceConfig | null = opts.sourcesFile ? loadSourceConfigSync(opts.sourcesFile) : null;
  fastify.addContentTypeParser(['text/plain', 'text/csv', 'application/octet-stream', 'application/x-ndjson'], { parseAs: 'buffer' }, textBody);

  fastify.post(
    '/v1/ingest/:format',
    {
      config: { role: 'ingest' },
      schema: {
        tags: ['ingest'],
        security: [{ bearer: [] }],
        summary: 'Store the events of raw log lines in a device format',
        description: 'The body is the log as the device writes it (text). Each line is read by the same parser as `whohad ingest --format`; good lines are stored, the others listed with their line and reason.',
        params: Params,
        querystring: Query,
        body: Type.String(),
        response: { 200: IngestResultSchema, 400: { $ref: 'Error#' }, 413: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const { format: name } = req.params;
      if (name === IPFIX) throw badRequest('ipfix is binary: send it to `whohad collect --ipfix`, or ingest a pcap capture with `whohad ingest --format ipfix`');
      let format;
      try {
        format = formatByName(name);
      } catch (err) {
        throw badRequest((err as Error).message);
      }
      const source = req.query.source;
      if (source !== undefined && !(config && sourceFor(config, { name: source }))) {
        throw badRequest(`source: no configured source named ${JSON.stringify(source)}${config ? '' : ' (the service has no WHOHAD_SOURCES file)'}`);
      }
      // the lines' source is the configured one named, else the format itself
      const who = req.principal!;
      const refused = sourceRefusal(who, source ?? format.name);
      if (refused) {
        const reason = `${refused}${source === undefined ? ' (without ?source= the format name is the source)' : ''}`;
        await fastify.accessLog.append({ kind: 'denied', time: new Date().toISOString(), user: who.name, tokenId: who.tokenId, client: req.ip, route: 'POST /v1/ingest/{format}', reason, count: 1, disclosed: [] });
        throw new HttpError(403, `${reason}; nothing was stored`);
      }
      const rejected: Array<{ line: number; reason: string }> = [];
      let accepted = 0;
      const feeder = new LineFeeder({
        format,
        options: config ? optionsFor(config, { name: source }) : {},
        context: { now: Date.now() },
        file: `body`,
        onBatch: async (events, lines) => {
          accepted += await storeForRequest(fastify.indexWriter, events, lines, rejected, fastify.sourceStats, tokenIngest(who));
        },
        onReject: (r) => rejected.push({ line: r.line, reason: r.reason }),
      });
      const splitter = new LineSplitter();
      await feeder.push(splitter.push(req.body));
      const last = splitter.end();
      if (last !== null) await feeder.push(last);
      await feeder.end();
      rejected.sort((a, b) => a.line - b.line);
      fastify.metrics.countIngest(format.name, accepted, rejected.length);
      await recordIngest(fastify.accessLog, who, { client: req.ip, route: 'POST /v1/ingest/{format}', format: format.name, sources: { [source ?? format.name]: accepted }, accepted, rejected: rejected.length });
      return { accepted, rejected };
    },
  );
};

export default fp(ingestRaw, { name: 'routes/ingest-raw', dependencies: ['schemas', 'access', 'index-services', 'metrics'], encapsulate: true });
