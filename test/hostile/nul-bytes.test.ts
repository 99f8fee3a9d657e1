import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';
import { aroundLookups, byName, loadSmallIsp, postBulk } from '../bulk/helpers.js';

/**
 * A NUL byte means a body is not UTF-8 text (UTF-16 without a byte order mark, a binary file):
 * every door that reads text refuses it wherever it stands, not only in the first 4 KiB, and
 * says where it is. Nothing of a refused body is stored.
 */

let app: TestApp;
beforeAll(async () => {
  app = await testApp();
  await loadSmallIsp(app);
});

const KiB = 1024;
const MiB = 1024 * KiB;

/** `lines` repeated until the text is at least `bytes` long, then a line holding a NUL, then one more good line. */
function withNulAfter(head: string, line: (i: number) => string, bytes: number, nulLine: string) {
  const parts = [head];
  let size = head.length + 1;
  for (let i = 0; size < bytes; i++) {
    parts.push(line(i));
    size += parts[parts.length - 1].length + 1;
  }
  parts.push(nulLine, line(999_999));
  const body = Buffer.from(`${parts.join('\n')}\n`);
  const at = body.indexOf(0);
  return { body, byte: at + 1, line: parts.length - 1, at };
}

/** The refusal names the byte and the line of the first NUL. */
function namesWhere(message: string, where: { byte: number; line: number }) {
  expect(message).toMatch(/NUL/);
  expect(message).toContain(`byte ${where.byte}`);
  expect(message).toContain(`line ${where.line}`);
}

const at = (h: number) => new Date(Date.UTC(2026, 9, 20, h)).toISOString();
const leaseLine = (i: number) => JSON.stringify({ kind: 'lease', event: 'start', at: at(1), ip: `100.65.${(i >> 8) & 255}.${i & 255}`, subscriberId: `nul-${i}`, expiresAt: at(20) });

describe.each([
  ['after 4 KiB', 4 * KiB + 7],
  ['after 1 MiB', MiB + 7],
])('a NUL %s', (_name, bytes) => {
  it('POST /v1/events (NDJSON): 400 naming where, nothing stored', async () => {
    const b = withNulAfter(leaseLine(100_000), leaseLine, bytes, `{"kind":"lease","event":"start","subscriberId":"x\u0000"}`);
    expect(b.at).toBeGreaterThan(bytes - 1);
    const r = await app.inject({ method: 'POST', url: '/v1/events', headers: { ...app.auth, 'content-type': 'application/x-ndjson' }, payload: b.body });
    expect(r.statusCode, r.body).toBe(400);
    namesWhere(r.json().message, b);
    const asked = await app.inject({ url: `/v1/attribution?ip=100.65.0.0&at=${at(2)}&${PURPOSE}`, headers: app.auth });
    expect(asked.json().status).toBe('not_found');
  });

  it('POST /v1/ingest/{format}: 400 naming where, nothing stored', async () => {
    const expire = Date.UTC(2026, 9, 21) / 1000;
    const kea = (i: number) => `100.66.${(i >> 8) & 255}.${i & 255},00:16:3e:00:00:01,,86400,${expire},1,0,0,cpe-${i},0,,0`;
    const head = 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id';
    const b = withNulAfter(head, kea, bytes, `100.66.255.1,00:16:3e:00:00:02,,86400,${expire},1,0,0,cpe\u0000x,0,,0`);
    const r = await app.inject({ method: 'POST', url: '/v1/ingest/kea-csv', headers: { ...app.auth, 'content-type': 'text/csv' }, payload: b.body });
    expect(r.statusCode, r.body).toBe(400);
    namesWhere(r.json().message, b);
    const asked = await app.inject({ url: `/v1/attribution?ip=100.66.0.0&at=${at(2)}&${PURPOSE}`, headers: app.auth });
    expect(asked.json().status).toBe('not_found');
  });

  const row = (i: number) => `r${i},198.51.100.7,1100,2026-10-25T00:30:00Z`;
  const csv = () => withNulAfter('id,ip,port,timestamp', row, bytes, 'bad,198.51.100.7,1100,2026-10-25T00:30:00Z\u0000');

  it('POST /v1/attribution/bulk (CSV and NDJSON answers), body in one piece: 400 naming where', async () => {
    const b = csv();
    for (const query of ['', 'format=ndjson']) {
      const r = await postBulk(app, b.body, query);
      expect(r.statusCode, r.body.slice(0, 300)).toBe(400);
      namesWhere(JSON.parse(r.body).message, b);
    }
  });

  it('POST /v1/attribution/bulk/jobs: 400 naming where, no job', async () => {
    const b = csv();
    const r = await app.inject({ method: 'POST', url: `/v1/attribution/bulk/jobs?${PURPOSE}`, headers: { ...app.auth, 'content-type': 'text/csv' }, payload: b.body });
    expect(r.statusCode, r.body.slice(0, 300)).toBe(400);
    namesWhere(r.json().message, b);
  });
});

describe('a NUL in a streamed bulk upload after the answer has begun', () => {
  it('answers the rows before it, then one last error row naming where; the summary says incomplete', async () => {
    const rows = Array.from({ length: 40_000 }, (_, i) => `r${i},198.51.100.7,1100,2026-10-25T00:30:00Z`);
    const first = Buffer.from(`id,ip,port,timestamp\n${rows.join('\n')}\n`);
    expect(first.length).toBeGreaterThan(MiB);
    const second = Buffer.from('late,198.51.100.7,1100,2026-10-25T00:30:00Z\u0000\nlast,198.51.100.7,1100,2026-10-25T00:30:00Z\n');
    // the rest of the upload arrives once rows are being answered, as over a slow link
    const upload = new PassThrough();
    let calls = 0;
    const restore = aroundLookups(app.resolver, (_q, next) => {
      if (++calls === 100) upload.end(second);
      return next();
    });
    try {
      upload.write(first);
      const r = await postBulk(app, upload);
      expect(r.statusCode).toBe(200);
      const out = byName(r.records);
      expect(out).toHaveLength(rows.length + 1);
      expect(out.slice(0, rows.length).every((x) => x.status === 'unique')).toBe(true);
      const last = out[rows.length];
      expect(last.status).toBe('error');
      expect(last.reasons).toMatch(/^upload_incomplete: /);
      namesWhere(last.reasons, { byte: first.length + second.indexOf(0) + 1, line: rows.length + 2 });
      expect(r.summary).toMatchObject({ complete: false });
    } finally {
      restore();
    }
  });
});
