import Type from 'typebox';

/**
 * What a log source does not say about itself. One file (YAML or JSON) lists the sources;
 * `--config` and the collector read it. Fields a format does not use are ignored by it.
 */
export const SourceOptionsSchema = Type.Object(
  {
    natInstance: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'NAT device/instance name for NAT logs; default "default"' })),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone of timestamps that carry no zone (BSD syslog, RADIUS detail headers); required for formats that read such times, and it picks the offset a written abbreviation (Kea legal log) means; no default' })),
    year: Type.Optional(Type.Integer({ minimum: 1970, maximum: 9999, description: 'year for timestamps without one (RFC 3164 headers); default: the year that puts the time closest to now' })),
    subscriberKey: Type.Optional(
      Type.Union(
        [Type.Literal('circuitId'), Type.Literal('remoteId'), Type.Literal('mac'), Type.Literal('clientId'), Type.Literal('username'), Type.Literal('duid'), Type.Literal('hostname')],
        { description: 'which identifier is the subscriber key; default per format (mac for DHCPv4, duid for DHCPv6, username for RADIUS)' },
      ),
    ),
    vrf: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'VRF of lease addresses and of NAT inside addresses when the record names none; default "default"' })),
    vrfMap: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 128 }), Type.String({ minLength: 1, maxLength: 128 }), {
        maxProperties: 4096,
        description: 'device VRF name -> the VRF name the index (and the leases) use, e.g. {"0": "default"} for NFWare; names not listed are kept as written',
      }),
    ),
    ipfixNatEventNumbering: Type.Optional(
      Type.Union([Type.Literal('rfc8158'), Type.Literal('juniper'), Type.Literal('cisco-iosxr')], { description: 'how this exporter numbers natEvent; default rfc8158' }),
    ),
    interimIntervalS: Type.Optional(Type.Integer({ minimum: 1, description: 'how often the device restates open port blocks; open intervals older than this with no interim are reported as log_gap' })),
  },
  { $id: 'SourceOptions', additionalProperties: false },
);

export const SourceSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128, description: 'a name for this source, used in reject lists' }),
    format: Type.String({ minLength: 1, maxLength: 64, description: 'parser name, e.g. juniper-pba, kea-csv, auto' }),
    match: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Type.String({ description: 'syslog hostname or exporter address this source sends from' })),
          path: Type.Optional(Type.String({ description: 'glob of files this source writes' })),
        },
        { additionalProperties: false },
      ),
    ),
    options: Type.Optional(SourceOptionsSchema),
  },
  { $id: 'Source', additionalProperties: false },
);

export const SourceConfigSchema = Type.Object(
  {
    sources: Type.Array(SourceSchema, { maxItems: 10000 }),
    defaults: Type.Optional(SourceOptionsSchema),
  },
  { $id: 'SourceConfig', additionalProperties: false },
);

export type SourceOptions = Type.Static<typeof SourceOptionsSchema>;
export type SourceConfig = Type.Static<typeof SourceConfigSchema>;
