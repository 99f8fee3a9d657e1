import Type from 'typebox';
import { PLAIN_TEXT } from './plain-text.js';

const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);

const Instant = (description: string) => Type.String({ minLength: 1, maxLength: 40, description });

export const HoldCreateSchema = Type.Object(
  {
    case: Type.String({ minLength: 1, maxLength: 256, pattern: PLAIN_TEXT, description: 'case reference the hold is for' }),
    subscribers: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 128, pattern: PLAIN_TEXT }), {
        maxItems: 1000,
        description: 'subscriber ids whose lease records to keep (with every NAT record over the range: see docs/retention.md)',
      }),
    ),
    publicIps: Type.Optional(
      Type.Array(Type.String({ minLength: 2, maxLength: 64 }), { maxItems: 1000, description: 'public addresses whose NAT records, and the leases they point to, to keep' }),
    ),
    from: Instant('ISO 8601 instant with Z or an offset: start of the range kept, inclusive'),
    to: Instant('ISO 8601 instant with Z or an offset: end of the range kept, inclusive'),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, pattern: PLAIN_TEXT, description: 'why, in words' })),
  },
  { additionalProperties: false, description: 'at least one of subscribers and publicIps' },
);

export const HoldSchema = Type.Object({
  id: Type.String(),
  case: Type.String(),
  reason: Nullable(Type.String()),
  scope: Type.Object({
    subscribers: Type.Array(Type.String()),
    publicIps: Type.Array(Type.String({ description: 'canonical form' })),
    from: Type.String({ description: 'ISO 8601 UTC, inclusive' }),
    to: Type.String({ description: 'ISO 8601 UTC, inclusive' }),
  }),
  created: Type.String(),
  createdBy: Type.String(),
  lifted: Type.Union([Type.Object({ at: Type.String(), by: Type.String(), reason: Nullable(Type.String()) }), Type.Null()], { description: 'null while the hold is active' }),
});

export const HoldListQuerySchema = Type.Object(
  { active: Type.Optional(Type.Boolean({ description: 'only holds not lifted' })) },
  { additionalProperties: false },
);

export const HoldListSchema = Type.Object({ holds: Type.Array(HoldSchema) });

export const HoldParamsSchema = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{16}$', description: 'hold id' }) }, { additionalProperties: false });

export const HoldLiftQuerySchema = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, pattern: PLAIN_TEXT, description: 'why the hold ends' })) },
  { additionalProperties: false },
);

export type HoldCreate = Type.Static<typeof HoldCreateSchema>;
export type HoldListQuery = Type.Static<typeof HoldListQuerySchema>;
export type HoldParams = Type.Static<typeof HoldParamsSchema>;
export type HoldLiftQuery = Type.Static<typeof HoldLiftQuerySchema>;
