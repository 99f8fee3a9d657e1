import Type from 'typebox';
import { AttributionQuerySchema, AttributionRequestSchema, type AttributionAnswer } from './attribution.js';
import { BulkSummaryCountsSchema } from './bulk.js';

/**
 * The disclosure report (docs/report.md): what was asked, what was answered with every piece of
 * evidence, how fresh the data was, who asked and why, and where the access log recorded it.
 * Signed as canonical JSON (RFC 8785) with the installation's Ed25519 key.
 */

const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Instant = Type.String({ description: 'ISO 8601 UTC with milliseconds' });

export const REPORT_FORMAT = 'whohad-disclosure-report/1' as const;

const SourceFreshness = Type.Object(
  {
    source: Type.String(),
    lastIngestedAt: Instant,
    lastEventAt: Nullable(Instant),
  },
  { additionalProperties: false, description: 'when the service last stored an event of the source, and that latest event\'s own time' },
);

const AccessLogReference = Type.Object(
  {
    chain: Type.String({ description: 'the access-log chain (service instance) of the record' }),
    seq: Type.Integer({ description: 'the record\'s number in its chain' }),
    hash: Type.String({ description: 'the record\'s SHA-256, as the hash chain holds it' }),
    reportContentHash: Type.String({ description: 'SHA-256 of the canonical report without this accessLog section; the access-log record holds it as details.reportContentHash' }),
  },
  { additionalProperties: false },
);

const Asker = Type.Object(
  {
    user: Nullable(Type.String()),
    tokenId: Nullable(Type.String()),
    client: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

const Grounds = Type.Object(
  {
    case: Nullable(Type.String()),
    legalBasis: Nullable(Type.String()),
    purpose: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

const LookupPart = Type.Object(
  {
    question: Type.Object(
      AttributionQuerySchema.properties,
      { additionalProperties: false, description: 'the question exactly as asked: the raw time text, zone and tolerance' },
    ),
    answer: Type.Ref('AttributionAnswer'),
  },
  { additionalProperties: false },
);

const BulkRecord = Type.Object(
  {
    chain: Type.String(),
    seq: Type.Integer(),
    hash: Type.String(),
    time: Instant,
    rows: Type.Array(Type.Integer(), { description: 'first and last row the record covers' }),
    disclosed: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);

const BulkPart = Type.Object(
  {
    job: Type.Object(
      {
        id: Type.String(),
        mode: Type.String(),
        state: Type.String(),
        format: Type.String(),
        createdAt: Instant,
        finishedAt: Nullable(Instant),
      },
      { additionalProperties: false },
    ),
    summary: BulkSummaryCountsSchema,
    corroboration: Type.Array(
      Type.Object({
        subscriberId: Type.String(),
        uniqueRows: Type.Integer(),
        candidateRows: Type.Integer(),
        first: Type.String(),
        last: Type.String(),
      }, { additionalProperties: false }),
    ),
    result: Nullable(
      Type.Object(
        { format: Type.String(), sha256: Type.String({ description: 'of the downloadable result, byte for byte' }), bytes: Type.Integer() },
        { additionalProperties: false, description: 'the kept result of a background job (null for a streamed one: its rows went to the uploader only)' },
      ),
    ),
    records: Type.Array(BulkRecord, { description: 'the access-log records the job wrote as it disclosed rows' }),
  },
  { additionalProperties: false },
);

export const ReportSchema = Type.Object(
  {
    format: Type.Literal(REPORT_FORMAT),
    kind: Type.Union([Type.Literal('lookup'), Type.Literal('bulk')]),
    madeAt: Instant,
    software: Type.Object({ name: Type.String(), version: Type.String() }, { additionalProperties: false }),
    requester: Asker,
    grounds: Grounds,
    lookup: Type.Optional(LookupPart),
    bulk: Type.Optional(BulkPart),
    sources: Type.Array(SourceFreshness, { description: 'every data source\'s freshness when the report was made' }),
    accessLog: AccessLogReference,
  },
  { additionalProperties: false },
);

export const SignedReportSchema = Type.Object(
  {
    report: ReportSchema,
    fingerprint: Type.String({ description: 'SHA-256 (hex) of the report\'s canonical JSON (RFC 8785), shown on every page of the PDF' }),
    signature: Type.Object(
      {
        algorithm: Type.Literal('Ed25519'),
        keyId: Type.String({ description: 'SHA-256 of the signing public key (SPKI DER); GET /v1/keys lists it' }),
        value: Type.String({ description: 'base64 signature over the report\'s canonical JSON bytes (UTF-8)' }),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'SignedReport', additionalProperties: false },
);

export const PublicKeysSchema = Type.Object(
  {
    keys: Type.Array(
      Type.Object({
        id: Type.String(),
        algorithm: Type.Literal('Ed25519'),
        publicKeyPem: Type.String({ description: 'SPKI PEM' }),
        createdAt: Instant,
        retired: Type.Optional(Instant),
      }),
    ),
  },
  { additionalProperties: false },
);

export type Report = Omit<Type.Static<typeof ReportSchema>, 'lookup'> & { lookup?: LookupReportPart };
export type SignedReport = Omit<Type.Static<typeof SignedReportSchema>, 'report'> & { report: Report };
export type SourceFreshnessEntry = Type.Static<typeof SourceFreshness>;
export type BulkReportPart = Type.Static<typeof BulkPart>;
export type LookupReportPart = Omit<Type.Static<typeof LookupPart>, 'answer'> & { answer: AttributionAnswer };

const ReportFormat = Type.Optional(
  Type.Union([Type.Literal('json'), Type.Literal('pdf')], { description: 'json or pdf; overrides the Accept header (for a plain download link)' }),
);

/** A look-up's parameters, answered with the signed report instead of the bare answer. */
export const ReportRequestSchema = Type.Object(
  { ...AttributionRequestSchema.properties, format: ReportFormat },
  { additionalProperties: false },
);

export const BulkReportQuerySchema = Type.Object({ format: ReportFormat }, { additionalProperties: false });

export type ReportRequest = Type.Static<typeof ReportRequestSchema>;
