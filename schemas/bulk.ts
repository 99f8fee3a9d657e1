import Type from 'typebox';
import { PurposeSchema } from './attribution.js';

const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const BULK_FORMATS = ['csv', 'ndjson'] as const;

/** Query parameters of a bulk upload: how to read it, and why it is asked (for the access log). */
export const BulkQuerySchema = Type.Object(
  {
    ...PurposeSchema.properties,
    tz: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone for times without Z or an offset (a tz column overrides it per row)' })),
    tolerance: Type.Optional(Type.Number({ minimum: 0, maximum: 3600, description: 'seconds either side of each time; default from WHOHAD_TOLERANCE_S (2)' })),
    format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('ndjson')], { description: 'answer as CSV (default) or NDJSON (one JSON object a row, with the full answer)' })),
  },
  { additionalProperties: false },
);

export const BulkJobParamsSchema = Type.Object(
  { job: Type.String({ pattern: '^[A-Za-z0-9_-]{16}$', description: 'job id from the upload (the x-whohad-job header, or the 202 answer)' }) },
  { additionalProperties: false },
);

const Counts = Type.Object({
  unique: Type.Integer(),
  ambiguous: Type.Integer(),
  not_found: Type.Integer(),
  outside_retention: Type.Integer(),
  error: Type.Integer({ description: 'rows that could not be read or asked; the reasons column says why' }),
});

export const BulkSummaryCountsSchema = Type.Object(
  {
    rows: Type.Integer({ description: 'rows answered (equals the data rows of the file when complete)' }),
    byStatus: Counts,
    byReason: Type.Record(Type.String(), Type.Integer(), { description: 'rows per reason, and per error code (bad_ip, bad_port, bad_time, bad_tz, column_count, csv_syntax, record_too_long, store_unavailable, upload_incomplete)' }),
    subscribers: Type.Integer({ description: 'distinct subscribers named' }),
    complete: Type.Boolean({ description: 'false when rows of the upload went unanswered (it broke off, or a quote never closed); the last row says why' }),
  },
);

export const BulkJobSchema = Type.Object(
  {
    job: Type.String(),
    mode: Type.Union([Type.Literal('stream'), Type.Literal('async')], { description: 'stream: answered in the upload\'s response (only the summary is kept); async: the result is kept for download' }),
    state: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
    format: Type.Union([Type.Literal('csv'), Type.Literal('ndjson')]),
    rows: Type.Integer({ description: 'rows answered so far' }),
    total: Nullable(Type.Integer({ description: 'data lines in the upload (an estimate while running: a quoted field may span lines); rows when done' })),
    bytes: Type.Integer({ description: 'bytes of the upload read so far' }),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    finishedAt: Nullable(Type.String()),
    expiresAt: Nullable(Type.String({ description: 'when the result and summary are deleted (WHOHAD_BULK_RESULT_TTL_S after the end)' })),
    error: Nullable(Type.String()),
    summary: Nullable(BulkSummaryCountsSchema),
    links: Type.Object({ self: Type.String(), result: Nullable(Type.String()), summary: Type.String() }),
  },
);

export const BulkSummarySchema = Type.Object(
  {
    job: Type.String(),
    rows: Type.Integer(),
    byStatus: Counts,
    byReason: Type.Record(Type.String(), Type.Integer()),
    subscribers: Type.Integer(),
    complete: Type.Boolean(),
    corroboration: Type.Array(
      Type.Object({
        subscriberId: Type.String(),
        uniqueRows: Type.Integer({ description: 'rows that named this subscriber as the unique answer' }),
        candidateRows: Type.Integer({ description: 'rows that named it as one of several candidates (or beside an unknown holder)' }),
        first: Type.String({ description: 'earliest instant (UTC) of those rows' }),
        last: Type.String({ description: 'latest instant (UTC) of those rows' }),
      }),
      { description: 'every subscriber named, most unique rows first: several hits on one subscriber corroborate each other' },
    ),
  },
);

export type BulkQuery = Type.Static<typeof BulkQuerySchema>;
export type BulkJobParams = Type.Static<typeof BulkJobParamsSchema>;
