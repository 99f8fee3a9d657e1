import Type from 'typebox';
import { PLAIN_TEXT } from './plain-text.js';

/**
 * The NAT configuration history's REST shapes (docs/deterministic-nat.md). Lengths and types
 * are checked here; what a value must mean (an instant with a zone, a known format, a period
 * that does not overlap) is checked by natconfig/, whose errors name the field.
 */

const Nullable = <T extends Type.TSchema>(t: T, options: { description?: string } = {}) => Type.Union([t, Type.Null()], options);
const Instant = (description: string) => Type.String({ minLength: 1, maxLength: 40, description });
const Instance = (description: string) => Type.String({ minLength: 1, maxLength: 128, description });
const VersionId = (description: string) => Type.String({ pattern: '^[0-9a-f]{16}$', description });

export const NatConfigCreateSchema = Type.Object(
  {
    instance: Instance('the NAT instance (device or pool): letters, digits and . _ : -'),
    format: Type.String({ minLength: 1, maxLength: 64, description: 'configuration format, e.g. vpp-det44, table, map-e' }),
    text: Type.String({ minLength: 1, description: 'the configuration text, as the device or an export of its show command has it' }),
    validFrom: Instant('ISO 8601 instant with Z or an offset: in force from here, inclusive'),
    validTo: Type.Optional(Instant('ISO 8601 instant with Z or an offset: in force up to here, exclusive; leave out while it is in force')),
    origin: Type.Optional(Type.String({ minLength: 1, maxLength: 512, pattern: PLAIN_TEXT, description: 'where the text came from: a file name or a device' })),
    supersedes: Type.Optional(VersionId('id of a version of the same instance that this one ends at its validFrom (a correction)')),
  },
  { additionalProperties: false },
);

const Claim = Type.Object({ first: Type.String(), last: Type.String() });

const VersionFields = {
  id: Type.String(),
  instance: Type.String(),
  version: Type.Integer({ description: '1, 2, 3 … per instance, in order of entry' }),
  entrySeq: Type.Integer({ description: 'its place in the order of entry of all versions' }),
  format: Type.String(),
  validFrom: Type.String({ description: 'ISO 8601 UTC, inclusive' }),
  validTo: Nullable(Type.String({ description: 'ISO 8601 UTC, exclusive; null while open' })),
  inForceUntil: Nullable(Type.String({ description: 'validTo, or the validFrom of the earliest version superseding it; null while in force' })),
  supersedes: Nullable(Type.String()),
  supersededBy: Type.Array(Type.Object({ id: Type.String(), version: Type.Integer(), at: Type.String() })),
  claims: Type.Array(Claim, { description: 'the public IPv4 space the rules claim' }),
  enteredBy: Type.String(),
  enteredAt: Type.String(),
  origin: Nullable(Type.String()),
};

export const NatConfigSummarySchema = Type.Object(VersionFields);

export const NatConfigVersionSchema = Type.Object({
  ...VersionFields,
  text: Type.String({ description: 'the configuration text as entered' }),
  rules: Type.Unknown({ description: 'the rules the format read from the text' }),
});

export const NatConfigListQuerySchema = Type.Object(
  {
    instance: Type.Optional(Instance('only versions of this instance')),
    at: Type.Optional(Instant('ISO 8601 instant with Z or an offset: only versions in force then')),
  },
  { additionalProperties: false },
);

export const NatConfigListSchema = Type.Object({ versions: Type.Array(NatConfigSummarySchema) });

export const NatConfigParamsSchema = Type.Object({ id: VersionId('version id') }, { additionalProperties: false });

export const NatForwardQuerySchema = Type.Object(
  {
    instance: Instance('the NAT instance'),
    inside: Type.String({ minLength: 1, maxLength: 64, description: 'inside IPv4 or IPv6 address, or IPv6 prefix address/length' }),
    at: Instant('ISO 8601 instant with Z or an offset'),
  },
  { additionalProperties: false },
);

export const NatReverseQuerySchema = Type.Object(
  {
    ip: Type.String({ minLength: 1, maxLength: 64, description: 'public IPv4 address' }),
    port: Type.String({ minLength: 1, maxLength: 8, description: 'public port, 0-65535' }),
    at: Instant('ISO 8601 instant with Z or an offset'),
  },
  { additionalProperties: false },
);

const Mapping = Type.Object({
  inside: Type.String({ description: 'inside address, or IPv6 prefix' }),
  publicIp: Type.String(),
  ports: Type.Array(Type.Object({ start: Type.Integer(), end: Type.Integer() })),
  formula: Type.String({ description: 'the formula and its inputs' }),
});

const VersionAnswer = Type.Object({
  id: Type.String(),
  instance: Type.String(),
  version: Type.Integer(),
  format: Type.String(),
  validFrom: Type.String(),
  inForceUntil: Nullable(Type.String()),
  mapping: Nullable(Mapping, { description: 'null: the formula gives no holder (a port of no host), or see problem' }),
  problem: Nullable(Type.String({ description: 'why this version could not be computed with here' })),
});

export const NatForwardAnswerSchema = Type.Object({ instance: Type.String(), inside: Type.String(), at: Type.String(), answers: Type.Array(VersionAnswer) });

export const NatReverseAnswerSchema = Type.Object({
  ip: Type.String(),
  port: Type.Integer(),
  at: Type.String(),
  answers: Type.Array(VersionAnswer),
  conflict: Type.Boolean({ description: 'more than one version claims the address then: no answer may choose between them' }),
});

export type NatConfigCreate = Type.Static<typeof NatConfigCreateSchema>;
