import Type from 'typebox';
import { Nullable, StringEnum } from './lean.js';
import { PLAIN_TEXT } from './plain-text.js';

export const STATUSES = ['unique', 'ambiguous', 'not_found', 'outside_retention'] as const;
export const REASONS = [
  'port_missing', 'ambiguous_local_time', 'log_gap', 'open_interval', 'end_inferred', 'start_inferred',
  'start_unknown', 'end_unknown', 'tolerance_crossing', 'no_allocation', 'no_lease', 'no_lease_for_private_ip', 'direct_public_address',
  'config_conflict',
] as const;
export const END_BASES = ['open', 'released', 'superseded', 'scheduled', 'expired', 'stop', 'configured'] as const;

const Instant = Type.String({ description: 'ISO 8601 UTC with milliseconds' });
const EndBasis = StringEnum(END_BASES);

export const AttributionQuerySchema = Type.Object(
  {
    ip: Type.String({ minLength: 2, maxLength: 64, description: 'public address as seen by the server that logged it' }),
    // a string, read by resolver/query.ts: a number schema would let the validator coerce 0x9c7b or 4.0123e4 into a port
    port: Type.Optional(Type.String({ maxLength: 16, description: 'source port in decimal digits, 0 to 65535; without it every subscriber sharing the address then is named' })),
    at: Type.String({ minLength: 1, maxLength: 64, description: 'ISO 8601 with Z or an offset, epoch seconds or milliseconds, or a local time with tz' }),
    tz: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone for a local time, and for showing the answer' })),
    tolerance: Type.Optional(Type.Number({ minimum: 0, maximum: 3600, description: 'seconds either side of at; default from WHOHAD_TOLERANCE_S (2)' })),
    natInstance: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'only allocations of this NAT instance' })),
    protocol: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(6), Type.Literal(17), Type.Literal(58)], { description: 'only blocks of this protocol (or of all protocols)' })),
  },
  { $id: 'AttributionQuery', additionalProperties: false },
);


/** Why a look-up is made: required on every look-up and kept in the access log. */
export const PurposeSchema = Type.Object({
  case: Type.String({ minLength: 1, maxLength: 256, pattern: PLAIN_TEXT, description: 'case reference the look-up belongs to' }),
  legalBasis: Type.String({ minLength: 1, maxLength: 64, description: 'legal basis, one of the service\'s configured list (WHOHAD_LEGAL_BASES)' }),
  purpose: Type.String({ minLength: 1, maxLength: 2000, pattern: PLAIN_TEXT, description: 'what the look-up is for, in words' }),
});

export const AttributionRequestSchema = Type.Object(
  { ...AttributionQuerySchema.properties, ...PurposeSchema.properties },
  { $id: 'AttributionRequest', additionalProperties: false },
);

/**
 * Which ingest wrote a record: the path and the credential it came through. It names who sent
 * the record, not the requests: those are in the access log (an ingest record per HTTP request,
 * per `whohad ingest` run, per collector run), found by the same token id, user or collector.
 */
// one object with the path's own field, not a union: an answer's schema has no anyOf (schemas/lean.ts)
export const IngestSchema = Type.Object(
  {
    path: StringEnum(['token', 'cli', 'collector'] as const, { description: 'which door: the HTTP API, `whohad ingest`, or the collector' }),
    tokenId: Type.Optional(Type.String({ description: 'with path token: the API token (POST /v1/events, /v1/ingest/{format})' })),
    user: Type.Optional(Type.String({ description: 'with path cli: the operating-system user who ran `whohad ingest`' })),
    collector: Type.Optional(Type.String({ description: 'with path collector: the collector instance (WHOHAD_INSTANCE) that received it' })),
  },
  { additionalProperties: false, description: 'the ingest that wrote the record (the event that made it, or a re-sent start that completed it); null for records written before ingests were named' },
);

/** The configuration version and formula a computed allocation comes from (docs/deterministic-nat.md). */
export const ComputedMappingSchema = Type.Object(
  {
    id: Type.String({ description: 'the configuration version id (whohad natconfig show ID)' }),
    instance: Type.String({ description: 'the NAT instance the version configures' }),
    version: Type.Integer({ description: 'the version number within its instance' }),
    format: Type.String(),
    formula: Type.String({ description: 'the rule and the numbers that map the public address and port to the inside holder' }),
    inside: Type.String({ description: 'the inside address, or for MAP the end-user IPv6 prefix' }),
    ports: Type.Array(Type.Object({ start: Type.Integer(), end: Type.Integer() }, { additionalProperties: false }), { description: 'the holder\'s whole port set (MAP: one range per PSID block)' }),
    validFrom: Instant,
    inForceUntil: Nullable(Instant),
    enteredBy: Type.String(),
  },
  { additionalProperties: false, description: 'present when the allocation was computed from a NAT configuration version rather than logged' },
);

export const AllocationEvidenceSchema = Type.Object(
  {
    id: Type.String({ description: 'reference to the stored allocation record' }),
    natInstance: Type.String(),
    publicIp: Type.String(),
    portStart: Nullable(Type.Integer()),
    portEnd: Nullable(Type.Integer()),
    protocol: Nullable(Type.Integer()),
    privateIp: Type.String(),
    privateVrf: Type.String(),
    start: Nullable(Instant),
    startNotBefore: Nullable(Instant),
    startInferred: Type.Boolean(),
    end: Nullable(Instant),
    endBasis: EndBasis,
    lastSeen: Nullable(Instant),
    source: Type.String(),
    ingest: Nullable(IngestSchema),
    // optional rather than nullable: logged allocations, the great majority, carry nothing more
    configuration: Type.Optional(ComputedMappingSchema),
  },
  { $id: 'AllocationEvidence', additionalProperties: false },
);

export const LeaseEvidenceSchema = Type.Object(
  {
    id: Type.String({ description: 'reference to the stored lease record' }),
    ip: Type.String(),
    vrf: Type.String(),
    subscriberId: Type.String(),
    start: Nullable(Instant),
    startNotBefore: Nullable(Instant),
    end: Nullable(Instant),
    endNotBefore: Type.Optional(
      Type.String({
        description:
          'present when the source said the holding ended without saying when (a Kea deletion row): the last known activity; the end lies between it and `end`',
      }),
    ),
    endBasis: EndBasis,
    source: Type.String(),
    ingest: Nullable(IngestSchema),
  },
  { $id: 'LeaseEvidence', additionalProperties: false },
);

export const LeaseSearchSchema = Type.Object(
  {
    allocation: Nullable(AllocationEvidenceSchema, { description: 'the allocation whose inside address was looked up; null for a public address looked up directly' }),
    ip: Type.String({ description: 'the address whose lease was looked for: the allocation\'s inside address, or the public address itself' }),
    vrf: Type.String({ description: 'the VRF it was looked for in: the allocation\'s inside VRF as stored (after the source\'s vrfMap), or WHOHAD_DIRECT_VRF' }),
    windowFrom: Instant,
    windowTo: Instant,
  },
  // inline in the answer (no $id): the service registers the answer's schemas, not this one
  { additionalProperties: false, description: 'a lease look-up that found nothing' },
);

export const AttributionAnswerSchema = Type.Object(
  {
    status: StringEnum(STATUSES),
    subscriberId: Nullable(Type.String({ description: 'set only when status is unique' })),
    reasons: Type.Array(StringEnum(REASONS)),
    query: Type.Object({
      ip: Type.String(),
      port: Nullable(Type.Integer()),
      at: Type.String({ description: 'the time as asked' }),
      tz: Nullable(Type.String()),
      tolerance: Type.Number({ description: 'seconds' }),
    }),
    instants: Type.Array(
      Type.Object({
        utc: Instant,
        local: Type.String({ description: 'the instant in the zone of the question (tz, else UTC)' }),
        windowFrom: Instant,
        windowTo: Instant,
      }),
    ),
    candidates: Type.Array(
      Type.Object({
        subscriberId: Type.String(),
        evidence: Type.Array(
          Type.Object({
            // inline, not a $ref: a nullable reference can only be an anyOf
            allocation: Nullable(AllocationEvidenceSchema, { description: 'the allocation (AllocationEvidence); null for a public address looked up directly' }),
            lease: Type.Ref('LeaseEvidence'),
          }),
        ),
      }),
    ),
    leaseSearches: Type.Optional(
      Type.Array(LeaseSearchSchema, {
        description: 'present when reasons hold no_lease_for_private_ip or no_lease: each inside address (or directly looked-up public address) and VRF searched for a lease, and the window, where none was found',
      }),
    ),
  },
  { $id: 'AttributionAnswer', additionalProperties: false },
);

export type AttributionQuery = Type.Static<typeof AttributionQuerySchema>;
export type Purpose = Type.Static<typeof PurposeSchema>;
export type AttributionRequest = Type.Static<typeof AttributionRequestSchema>;
export type Status = (typeof STATUSES)[number];
export type Reason = (typeof REASONS)[number];
export type Ingest = Type.Static<typeof IngestSchema>;
export type AllocationEvidence = Type.Static<typeof AllocationEvidenceSchema>;
export type LeaseEvidence = Type.Static<typeof LeaseEvidenceSchema>;
export type LeaseSearch = { allocation: AllocationEvidence | null; ip: string; vrf: string; windowFrom: string; windowTo: string };

export interface AttributionAnswer {
  status: Status;
  subscriberId: string | null;
  reasons: Reason[];
  query: { ip: string; port: number | null; at: string; tz: string | null; tolerance: number };
  instants: Array<{ utc: string; local: string; windowFrom: string; windowTo: string }>;
  candidates: Array<{ subscriberId: string; evidence: Array<{ allocation: AllocationEvidence | null; lease: LeaseEvidence }> }>;
  /** Lease look-ups that found nothing (absent when none): what was searched for, so a VRF or address mismatch shows. */
  leaseSearches?: LeaseSearch[];
}
