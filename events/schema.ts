import Type from 'typebox';

/**
 * The canonical events: the contract between parsers, ingest and the API
 * (design/canonical-events.md). Every source format is parsed into these two kinds.
 */

const Iso = Type.String({ description: 'ISO 8601 instant with Z or an offset; stored as UTC milliseconds', maxLength: 40 });
const IpText = Type.String({ description: 'IPv4 or IPv6 address; IPv4-mapped IPv6 is stored as IPv4', maxLength: 64 });
const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Name = (description: string) => Type.String({ minLength: 1, maxLength: 128, description });

export const NatEventSchema = Type.Object(
  {
    kind: Type.Literal('nat'),
    event: Type.Union([Type.Literal('alloc'), Type.Literal('release'), Type.Literal('interim')]),
    at: Iso,
    natInstance: Type.Optional(Name('NAT device/instance that wrote it; default "default"')),
    publicIp: IpText,
    portStart: Type.Union([Port, Type.Null()], { description: 'first outside port, inclusive; null for address-only NAT' }),
    portEnd: Type.Union([Port, Type.Null()], { description: 'last outside port, inclusive' }),
    // IPv6 for NAT64, and for DS-Lite the B4 address (the softwire), which parsers keep even when
    // the record also names the shared inside IPv4 (192.0.0.x): leases name the B4, not that IPv4.
    privateIp: IpText,
    privateVrf: Type.Optional(Name('inside VRF / routing instance; default "default"')),
    protocol: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(6), Type.Literal(17), Type.Literal(58), Type.Null()])),
    allocatedAt: Type.Optional(Type.Union([Iso, Type.Null()])),
    source: Type.Optional(Name('format it was parsed from; "canonical" when sent as is')),
    raw: Type.Optional(Type.String({ maxLength: 8192 })),
    extra: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'NatEvent', additionalProperties: false, description: 'A port-block allocation event (NAT hop)' },
);

const IdentifierValue = Type.Union([Type.String({ maxLength: 256 }), Type.Null()]);

export const LeaseEventSchema = Type.Object(
  {
    kind: Type.Literal('lease'),
    event: Type.Union([Type.Literal('start'), Type.Literal('end'), Type.Literal('expire')]),
    at: Iso,
    ip: IpText,
    vrf: Type.Optional(Name('VRF of the address; default "default"')),
    subscriberId: Type.String({ minLength: 1, maxLength: 128, description: 'the stable subscriber key the ISP uses' }),
    expiresAt: Type.Optional(Type.Union([Iso, Type.Null()])),
    endTimeUnknown: Type.Optional(
      Type.Boolean({
        description:
          'for `end`: the source says the holding ended but not when (a Kea deletion row); `at` is then the last known activity, and the end lies between it and the scheduled expiry or the next record',
      }),
    ),
    identifiers: Type.Optional(
      Type.Object(
        {
          mac: Type.Optional(IdentifierValue),
          circuitId: Type.Optional(IdentifierValue),
          remoteId: Type.Optional(IdentifierValue),
          clientId: Type.Optional(IdentifierValue),
          username: Type.Optional(IdentifierValue),
          prefix: Type.Optional(
            Type.Union([Type.String({ minLength: 1, maxLength: 64, description: 'a delegated IPv6 prefix held ("network/length"); `ip` is its network address' }), Type.Null()]),
          ),
        },
        { additionalProperties: IdentifierValue },
      ),
    ),
    source: Type.Optional(Name('format it was parsed from')),
    raw: Type.Optional(Type.String({ maxLength: 8192 })),
    extra: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'LeaseEvent', additionalProperties: false, description: 'A DHCP lease or RADIUS session event (subscriber hop)' },
);

export const CanonicalEventSchema = Type.Union([Type.Ref('NatEvent'), Type.Ref('LeaseEvent')], { $id: 'CanonicalEvent' });

export type NatEventInput = Type.Static<typeof NatEventSchema>;
export type LeaseEventInput = Type.Static<typeof LeaseEventSchema>;

/** A NAT event after validation: addresses canonical, defaults filled, times in UTC ms. */
export interface NatEvent {
  kind: 'nat';
  event: 'alloc' | 'release' | 'interim';
  at: number;
  natInstance: string;
  publicIp: string;
  portStart: number | null;
  portEnd: number | null;
  privateIp: string;
  privateVrf: string;
  protocol: number | null;
  allocatedAt: number | null;
  source: string;
}

/** A lease event after validation. */
export interface LeaseEvent {
  kind: 'lease';
  event: 'start' | 'end' | 'expire';
  at: number;
  ip: string;
  vrf: string;
  subscriberId: string;
  expiresAt: number | null;
  /** Set (true) only on an `end` whose time the source does not know: `at` is then a lower bound. */
  endTimeUnknown?: true;
  identifiers: Record<string, string | null>;
  source: string;
}

export type CanonicalEvent = NatEvent | LeaseEvent;
