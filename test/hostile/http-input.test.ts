import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';

/**
 * Hostile input through the HTTP service: each gets a clear 4xx, or is stored verbatim and
 * returned unchanged, and never executed; the data stored before is still answered the same.
 */

const LIMIT = 64 * 1024;
let app: TestApp;
let redis: Redis;

const iso = (h: number) => new Date(Date.UTC(2026, 9, 25, h)).toISOString();
const SENTINEL = [
  { kind: 'nat', event: 'alloc', at: iso(0), natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535, privateIp: '100.64.0.1' },
  { kind: 'lease', event: 'start', at: iso(-4), ip: '100.64.0.1', subscriberId: 'sub-A', expiresAt: iso(24) },
];
const SENTINEL_LOOKUP = `/v1/attribution?ip=198.51.100.7&port=1100&at=2026-10-25T00:30:00Z&${PURPOSE}`;

async function post(payload: string | Buffer | unknown[], type = 'application/x-ndjson') {
  return app.inject({ method: 'POST', url: '/v1/events', headers: { ...app.auth, 'content-type': type }, payload: payload as string });
}
const ndjson = (events: unknown[]) => `${events.map((e) => JSON.stringify(e)).join('\n')}\n`;
async function lookup(query: string) {
  return app.inject({ url: `/v1/attribution?${query}&${PURPOSE}`, headers: app.auth });
}

/** The sentinel is still stored and answered exactly as before: nothing hostile ran. */
async function sentinelIntact() {
  const r = await app.inject({ url: SENTINEL_LOOKUP, headers: app.auth });
  expect(r.statusCode).toBe(200);
  expect(r.json()).toMatchObject({ status: 'unique', subscriberId: 'sub-A' });
  expect(await redis.dbsize()).toBeGreaterThan(5);
}

beforeAll(async () => {
  app = await testApp({ WHOHAD_BODY_LIMIT_BYTES: String(LIMIT) });
  redis = (app as unknown as { redis: Redis }).redis;
  expect((await post(SENTINEL, 'application/json')).json()).toEqual({ accepted: 2, rejected: [] });
  await sentinelIntact();
});
afterAll(() => {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

describe('bodies', () => {
  it('answers 413 naming the limit for a body over it, and stores none of it', async () => {
    const events = Array.from({ length: 800 }, (_, i) => ({ ...SENTINEL[1], ip: `100.99.${i >> 8}.${i & 255}` }));
    const r = await post(ndjson(events));
    expect(r.statusCode).toBe(413);
    expect(r.json().message).toBe(`request body is larger than the limit of ${LIMIT} bytes: split it into smaller batches`);
    expect(await redis.exists('lm:{default|100.99.0.1}')).toBe(0);
    await sentinelIntact();
  });

  it('reads deeply nested JSON without crashing: a nested array or object is not an event', async () => {
    const depth = 30_000;
    const array = await post('['.repeat(depth) + ']'.repeat(depth), 'application/json');
    expect(array.statusCode).toBe(200);
    expect(array.json()).toEqual({ accepted: 0, rejected: [{ line: 1, reason: 'event must be a JSON object' }] });
    const object = await post(`${'{"a":'.repeat(depth / 3)}1${'}'.repeat(depth / 3)}\n`);
    expect(object.json()).toEqual({ accepted: 0, rejected: [{ line: 1, reason: 'kind must be "nat" or "lease", got nothing' }] });
    // nesting inside an event's free-form `extra`: accepted, and `extra` is not stored
    const extra = `${JSON.stringify({ ...SENTINEL[1], ip: '100.99.9.1' }).slice(0, -1)},"extra":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}\n`;
    expect((await post(extra)).json()).toEqual({ accepted: 1, rejected: [] });
    await sentinelIntact();
  });

  it('refuses a name that was not valid UTF-8 (decoded to U+FFFD), and a line whose JSON was broken by bad bytes', async () => {
    const line = (bytes: number[]) =>
      Buffer.concat([Buffer.from('{"kind":"lease","event":"start","at":"2026-10-25T00:00:00Z","ip":"100.99.8.1","subscriberId":"a'), Buffer.from(bytes), Buffer.from('b"}\n')]);
    const r = await post(Buffer.concat([line([0xff, 0xfe]), line([0xc3]), line([0xed, 0xa0, 0x80]), Buffer.from([0x7b, 0xff, 0x7d, 0x0a])]));
    expect(r.statusCode).toBe(200);
    expect(r.json().accepted).toBe(0);
    expect(r.json().rejected.map((x: { reason: string }) => x.reason)).toEqual([
      'subscriberId contains U+FFFD: the input was not valid UTF-8',
      'subscriberId contains U+FFFD: the input was not valid UTF-8',
      'subscriberId contains U+FFFD: the input was not valid UTF-8',
      expect.stringMatching(/^not JSON: /),
    ]);
    const asJson = await post(Buffer.concat([Buffer.from('['), line([0xff]).subarray(0, -1), Buffer.from(']')]), 'application/json');
    expect(asJson.json()).toEqual({ accepted: 0, rejected: [{ line: 1, reason: 'subscriberId contains U+FFFD: the input was not valid UTF-8' }] });
    expect(await redis.exists('lm:{default|100.99.8.1}')).toBe(0);
  });

  it('refuses prototype-pollution keys in JSON bodies (400), NDJSON lines (rejected) and queries (400)', async () => {
    for (const body of ['[{"__proto__":{"polluted":true}}]', '[{"constructor":{"prototype":{"polluted":true}}}]']) {
      const r = await post(body, 'application/json');
      expect(r.statusCode, body).toBe(400);
    }
    const line = { ...SENTINEL[1], ip: '100.99.7.1' };
    const r = await post(`${JSON.stringify(line).slice(0, -1)},"__proto__":{"polluted":true}}\n`);
    expect(r.json()).toEqual({ accepted: 0, rejected: [{ line: 1, reason: 'event: unknown field "__proto__"' }] });
    for (const q of ['__proto__[polluted]=1', '__proto__=x', 'constructor[prototype][polluted]=1']) {
      const a = await lookup(`ip=198.51.100.7&at=2026-10-25T00:30:00Z&${q}`);
      expect(a.statusCode, q).toBe(400);
      expect(a.json().message).toMatch(/unknown parameter/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a 10-million-row CSV is cut off at the body limit: 413 and the connection closed long before the end, nothing stored', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const s = connect(port, '127.0.0.1');
    let response = '';
    let closed = false;
    s.on('data', (d) => (response += d));
    s.on('error', () => {});
    const ended = new Promise<void>((done) => s.once('close', () => ((closed = true), done())));
    s.write(`POST /v1/ingest/kea-csv HTTP/1.1\r\nHost: x\r\nAuthorization: ${app.auth.authorization}\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const header = 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\n';
    s.write(`${Buffer.byteLength(header).toString(16)}\r\n${header}\r\n`);
    let rows = 0;
    while (!closed && rows < 10_000_000) {
      let chunk = '';
      for (let i = 0; i < 1000; i++, rows++) chunk += `100.98.${(rows >> 8) & 255}.${rows & 255},02:00:00:00:00:01,,7200,1792886400,1,0,0,,0,,0\n`;
      // the socket's own backpressure paces the sender: it writes only as fast as the server reads
      if (!s.write(`${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n`)) await new Promise((done) => (s.once('drain', done), s.once('close', done)));
    }
    await ended;
    expect(response).toMatch(/^HTTP\/1\.1 413 Payload Too Large/);
    expect(rows).toBeLessThan(1_000_000);
    expect(await redis.exists('lm:{default|100.98.0.1}')).toBe(0);
    await sentinelIntact();
  });
});

describe('addresses, ports, times and numbers', () => {
  it('takes IPv6 and IPv4-mapped IPv6 in every address field, and answers either spelling the same', async () => {
    const r = await post([
      { kind: 'nat', event: 'alloc', at: iso(0), natInstance: 'cgn6', publicIp: '::ffff:203.0.113.9', portStart: 0, portEnd: 65535, privateIp: '::ffff:100.64.6.1' },
      { kind: 'lease', event: 'start', at: iso(-1), ip: '::FFFF:100.64.6.1', subscriberId: 'sub-mapped', expiresAt: iso(24) },
      { kind: 'nat', event: 'alloc', at: iso(0), natInstance: 'cgn6', publicIp: '2001:db8::7', portStart: 1024, portEnd: 2047, privateIp: 'fd00::7' },
      { kind: 'lease', event: 'start', at: iso(-1), ip: 'fd00:0:0:0:0:0:0:7', subscriberId: 'sub-v6', expiresAt: iso(24) },
    ], 'application/json');
    expect(r.json()).toEqual({ accepted: 4, rejected: [] });
    for (const ip of ['203.0.113.9', '::ffff:203.0.113.9', '0:0:0:0:0:ffff:cb00:7109']) {
      for (const port of [0, 65535]) {
        const a = await lookup(`ip=${encodeURIComponent(ip)}&port=${port}&at=2026-10-25T00:30:00Z`);
        expect(a.json(), ip).toMatchObject({ status: 'unique', subscriberId: 'sub-mapped', query: { ip: '203.0.113.9' } });
        expect(a.json().candidates[0].evidence[0].allocation).toMatchObject({ publicIp: '203.0.113.9', privateIp: '100.64.6.1' });
      }
    }
    for (const ip of ['2001:db8::7', '2001:0DB8:0000:0000:0000:0000:0000:0007']) {
      const a = await lookup(`ip=${encodeURIComponent(ip)}&port=1500&at=2026-10-25T00:30:00Z`);
      expect(a.json(), ip).toMatchObject({ status: 'unique', subscriberId: 'sub-v6', query: { ip: '2001:db8::7' } });
      expect(a.json().candidates[0].evidence[0].lease).toMatchObject({ ip: 'fd00::7' });
    }
    for (const ip of ['fe80::1%25eth0', '203.0.113', '0x0a.0.0.1', '::ffff:999.0.0.1']) {
      const a = await lookup(`ip=${ip}&at=2026-10-25T00:30:00Z`);
      expect(a.statusCode, ip).toBe(400);
      expect(a.json().message).toMatch(/^ip: /);
    }
  });

  it('refuses ports outside 0-65535, fractions, NaN and Infinity in events and queries', async () => {
    const bad = [-1, 65536, 1.5, '80'].map((p) => ({ ...SENTINEL[0], portStart: p }));
    const r = await post(`${bad.map((e) => JSON.stringify(e)).join('\n')}\n${JSON.stringify(SENTINEL[0]).replace('"portStart":1024', '"portStart":1e309')}\n${JSON.stringify(SENTINEL[0]).replace('"portStart":1024', '"portStart":NaN')}\n`);
    expect(r.json().accepted).toBe(0);
    expect(r.json().rejected.map((x: { reason: string }) => x.reason)).toEqual([
      'portStart must be >= 0', 'portStart must be <= 65535', 'portStart must be integer', 'portStart must be integer', 'portStart must be integer', expect.stringMatching(/^not JSON/),
    ]);
    for (const q of ['port=65536', 'port=-1', 'port=1.5', 'port=NaN', 'port=Infinity', 'port=-Infinity', 'port=1e309', 'tolerance=Infinity', 'tolerance=NaN', 'tolerance=-1', 'tolerance=1e309']) {
      const a = await lookup(`ip=198.51.100.7&at=2026-10-25T00:30:00Z&${q}`);
      expect(a.statusCode, q).toBe(400);
      expect(a.json().message, q).toMatch(new RegExp(`^${q.split('=')[0]}: `));
    }
    await sentinelIntact();
  });

  it('refuses year 0 and years before 1970 in events and queries; stores year 9999 and answers for it without disturbing the rest', async () => {
    const r = await post([{ ...SENTINEL[1], at: '0000-01-01T00:00:00Z' }, { ...SENTINEL[1], at: '1969-12-31T23:59:59Z' }, { ...SENTINEL[1], expiresAt: '+275760-09-13T00:00:00Z' }], 'application/json');
    expect(r.json().rejected.map((x: { reason: string }) => x.reason)).toEqual([
      'at: "0000-01-01T00:00:00Z" is not an ISO 8601 instant with Z or an offset (years 1970-9999)',
      'at: "1969-12-31T23:59:59Z" is not an ISO 8601 instant with Z or an offset (years 1970-9999)',
      'expiresAt: "+275760-09-13T00:00:00Z" is not an ISO 8601 instant with Z or an offset (years 1970-9999)',
    ]);
    const far = await post([
      { kind: 'nat', event: 'alloc', at: '9999-12-31T00:00:00Z', natInstance: 'cgn9', publicIp: '198.51.100.99', portStart: 1024, portEnd: 1535, privateIp: '100.64.99.1' },
      { kind: 'lease', event: 'start', at: '9999-12-30T00:00:00Z', ip: '100.64.99.1', subscriberId: 'sub-9999', expiresAt: '9999-12-31T23:59:59Z' },
    ], 'application/json');
    expect(far.json()).toEqual({ accepted: 2, rejected: [] });
    expect((await lookup('ip=198.51.100.99&port=1100&at=9999-12-31T12:00:00Z')).json()).toMatchObject({ status: 'unique', subscriberId: 'sub-9999' });
    for (const at of ['0000-01-01T00:00:00Z', '10000-01-01T00:00:00Z', 'NaN', 'Infinity', '1e309']) {
      const a = await lookup(`ip=198.51.100.7&at=${at}`);
      expect(a.statusCode, at).toBe(400);
      expect(a.json().message).toMatch(/^at: /);
    }
    await sentinelIntact();
  });
});

describe('Lua and Redis-protocol text in every stored field', () => {
  const RESP = '\r\n*3\r\n$3\r\nDEL\r\n$1\r\nx\r\n';
  const fields = {
    natInstance: "redis.call('FLUSHALL')",
    privateVrf: "EVAL \"return redis.call('DEL', KEYS[1])\" 1 x",
    natSource: '*1 $8 FLUSHALL',
    subscriberId: "\"; redis.call('FLUSHDB') --",
    leaseSource: '$-1 :0 +OK -ERR',
  };
  const events = (f: typeof fields) => [
    { kind: 'nat', event: 'alloc', at: iso(0), natInstance: f.natInstance, publicIp: '203.0.113.66', portStart: 1024, portEnd: 1535, privateIp: '100.64.66.1', privateVrf: f.privateVrf, source: f.natSource },
    { kind: 'lease', event: 'start', at: iso(-1), ip: '100.64.66.1', vrf: f.privateVrf, subscriberId: f.subscriberId, expiresAt: iso(24), source: f.leaseSource },
  ];

  it('stores them verbatim and returns them unchanged; nothing is executed', async () => {
    expect((await post(events(fields), 'application/json')).json()).toEqual({ accepted: 2, rejected: [] });
    const a = (await lookup('ip=203.0.113.66&port=1100&at=2026-10-25T00:30:00Z')).json();
    expect(a).toMatchObject({ status: 'unique', subscriberId: fields.subscriberId });
    expect(a.candidates[0].evidence[0].allocation).toMatchObject({ natInstance: fields.natInstance, privateVrf: fields.privateVrf, source: fields.natSource });
    expect(a.candidates[0].evidence[0].lease).toMatchObject({ vrf: fields.privateVrf, subscriberId: fields.subscriberId, source: fields.leaseSource });
    await sentinelIntact();
  });

  it('refuses the Redis protocol (CR LF) in each of them with a reason naming the field', async () => {
    const refusedAs: Record<keyof typeof fields, string[]> = {
      natInstance: ['natInstance'],
      privateVrf: ['privateVrf', 'vrf'],
      natSource: ['source'],
      subscriberId: ['subscriberId'],
      leaseSource: ['source'],
    };
    for (const field of Object.keys(fields) as Array<keyof typeof fields>) {
      const r = await post(events({ ...fields, [field]: RESP }), 'application/json');
      expect(r.json().rejected.map((x: { reason: string }) => x.reason), field).toEqual(
        refusedAs[field].map((name) => `${name} contains control characters, bidirectional marks or unpaired surrogates`),
      );
    }
    await sentinelIntact();
  });

  it('keeps case and purpose text verbatim in the access log, refusing only control characters', async () => {
    const caseRef = "C-1'); redis.call('FLUSHALL'); --";
    const purpose = '*2 $3 GET $1 x; EVAL "return 1" 0';
    const ok = await app.inject({ url: `/v1/attribution?ip=198.51.100.7&port=1100&at=2026-10-25T00:30:00Z&case=${encodeURIComponent(caseRef)}&legalBasis=court-order&purpose=${encodeURIComponent(purpose)}`, headers: app.auth });
    expect(ok.statusCode).toBe(200);
    const log = await app.inject({ url: `/v1/audit?case=${encodeURIComponent(caseRef)}`, headers: app.auth });
    expect(log.statusCode).toBe(200);
    expect(log.json().records[0]).toMatchObject({ case: caseRef, purpose });
    for (const [name, value] of [['case', RESP], ['purpose', `x${RESP}`]]) {
      const q = { case: 'C-1', purpose: 'p', [name]: value };
      const r = await app.inject({ url: `/v1/attribution?ip=198.51.100.7&at=2026-10-25T00:30:00Z&legalBasis=court-order&case=${encodeURIComponent(q.case)}&purpose=${encodeURIComponent(q.purpose)}`, headers: app.auth });
      expect(r.statusCode, name).toBe(400);
      expect(r.json().message).toBe(`${name}: must not contain control characters (newlines included)`);
    }
    await sentinelIntact();
  });
});
