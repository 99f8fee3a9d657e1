import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';
import { byName, loadSmallIsp, postBulk, singleLookup } from './helpers.js';

let app: TestApp;
beforeAll(async () => {
  app = await testApp({ WHOHAD_INTERIM_INTERVAL_S: '3600' });
  await loadSmallIsp(app);
});

const RESULT = ['status', 'subscriber_id', 'candidates', 'reasons', 'instants_utc', 'evidence'];

describe('POST /v1/attribution/bulk', () => {
  it('answers each row as the single look-up does, input columns first, in input order', async () => {
    const csv = [
      'id,ip,port,timestamp,note',
      'r1,198.51.100.7,1100,2026-10-25T00:30:00Z,first',
      'r2,198.51.100.7,1100,2026-10-25T01:00:01Z,handover',
      'r3,198.51.100.7,1100,2026-10-24T12:00:00Z,before',
      'r4,198.51.100.8,443,2026-10-25T00:30:00Z,direct',
      'r5,198.51.100.7,1100,2024-01-01T00:00:00Z,old',
    ].join('\n');
    const r = await postBulk(app, csv);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.records[0]).toEqual(['id', 'ip', 'port', 'timestamp', 'note', ...RESULT]);
    const rows = byName(r.records);
    expect(rows.map((x) => x.id)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(rows.map((x) => x.status)).toEqual(['unique', 'ambiguous', 'not_found', 'unique', 'outside_retention']);
    expect(rows[0]).toMatchObject({ note: 'first', subscriber_id: 'sub-A', candidates: 'sub-A', reasons: 'end_inferred', instants_utc: '2026-10-25T00:30:00.000Z' });
    expect(rows[0].evidence).toBe('nat:198.51.100.7|cgn1|1024|1535|*|1792886400000->lease:default|100.64.0.1|1792872000000');
    expect(rows[1]).toMatchObject({ subscriber_id: '', candidates: 'sub-A;sub-B' });
    expect(rows[1].reasons.split(';')).toContain('tolerance_crossing');
    expect(rows[1].evidence.split(';')).toHaveLength(2);
    expect(rows[2]).toMatchObject({ subscriber_id: '', candidates: '', reasons: 'no_allocation', evidence: '' });
    expect(rows[3]).toMatchObject({ subscriber_id: 'sub-D', evidence: 'lease:default|198.51.100.8|1792872000000' });

    for (const row of rows) {
      const a = await singleLookup(app, { ip: row.ip, port: row.port, at: row.timestamp });
      expect(row.status).toBe(a.status);
      expect(row.subscriber_id).toBe(a.subscriberId ?? '');
      expect(row.reasons).toBe(a.reasons.join(';'));
    }
  });

  it('takes header aliases, any case and spacing, and separate date and time columns', async () => {
    const a = await postBulk(app, 'Request ID,SRC_IP,Source Port,Time\nx,198.51.100.7,1100,2026-10-25T00:30:00Z\n');
    expect(byName(a.records)[0]).toMatchObject({ 'Request ID': 'x', status: 'unique', subscriber_id: 'sub-A' });
    const b = await postBulk(app, 'client_ip,sport,@timestamp\n198.51.100.7,1100,2026-10-25T00:30:00Z\n');
    expect(byName(b.records)[0].subscriber_id).toBe('sub-A');
    const c = await postBulk(app, 'date,time,c-ip,c-port\n2026-10-25,00:30:00Z,198.51.100.7,1100\n');
    expect(byName(c.records)[0]).toMatchObject({ status: 'unique', instants_utc: '2026-10-25T00:30:00.000Z' });
  });

  it('reads naive times in the zone of ?tz=, a tz column overriding it per row, and takes ?tolerance=', async () => {
    const r = await postBulk(app, 'ip,port,timestamp,tz\n198.51.100.7,1100,2026-10-25T02:30:00,\n198.51.100.7,1100,2026-10-25T00:30:00,UTC\n', 'tz=Europe/Copenhagen&tolerance=0');
    const [dst, utc] = byName(r.records);
    expect(dst.instants_utc).toBe('2026-10-25T00:30:00.000Z;2026-10-25T01:30:00.000Z');
    expect(dst.candidates).toBe('sub-A;sub-C');
    expect(dst.reasons.split(';')).toContain('ambiguous_local_time');
    expect(utc).toMatchObject({ status: 'unique', subscriber_id: 'sub-A' });
  });

  it('asks without a port when the file has no port column, and says so', async () => {
    const r = await postBulk(app, 'ip,timestamp\n198.51.100.8,2026-10-25T00:30:00Z\n');
    expect(byName(r.records)[0].reasons.split(';')).toContain('port_missing');
  });

  it('answers NDJSON with exact values and the full answer', async () => {
    const r = await postBulk(app, 'id,ip,port,timestamp\n=1+1,198.51.100.7,1100,2026-10-25T00:30:00Z\nbad,300.1.1.1,1,2026-10-25T00:30:00Z\n', 'format=ndjson');
    expect(r.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const lines = r.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ row: 1, input: { id: '=1+1', ip: '198.51.100.7' }, status: 'unique', subscriberId: 'sub-A', candidates: ['sub-A'] });
    expect(lines[0].answer.candidates[0].evidence[0].allocation.privateIp).toBe('100.64.0.1');
    expect(lines[1]).toMatchObject({ row: 2, status: 'error', answer: null });
    expect(lines[1].reasons[0]).toMatch(/^bad_ip: "300.1.1.1" is not an IPv4 or IPv6 address/);
  });
});

describe('formula injection', () => {
  it('neutralises cells a spreadsheet would execute, input and output alike', async () => {
    const csv = 'id,ip,port,timestamp,agent\n=HYPERLINK("http://x"),198.51.100.7,1100,2026-10-25T00:30:00Z,+cmd\n@SUM(A1),198.51.100.7,1100,2026-10-25T00:30:00Z,-2+3\n" =1",198.51.100.7,1100,2026-10-25T00:30:00Z,\tx\nplain,198.51.100.7,1100,2026-10-25T00:30:00Z,a=b\n';
    const r = await postBulk(app, csv);
    const rows = byName(r.records);
    expect(rows.map((x) => x.id)).toEqual([`'=HYPERLINK("http://x")`, "'@SUM(A1)", "' =1", 'plain']);
    expect(rows.map((x) => x.agent)).toEqual(["'+cmd", "'-2+3", "'\tx", 'a=b']);
    expect(rows.every((x) => x.subscriber_id === 'sub-A')).toBe(true);
  });
});

describe('bad input', () => {
  it('400 for an empty file', async () => {
    const r = await postBulk(app, '');
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body).message).toMatch(/the file is empty/);
  });

  it('400 for a file without a recognisable header, saying what is missing', async () => {
    const data = await postBulk(app, '198.51.100.7,1100,2026-10-25T00:30:00Z\n');
    expect(data.statusCode).toBe(400);
    expect(JSON.parse(data.body).message).toMatch(/^the first line looks like data, not a header: name the columns/);
    const noTime = await postBulk(app, 'id,ip,port\n1,198.51.100.7,1100\n');
    expect(JSON.parse(noTime.body).message).toMatch(/^the header "id,ip,port" has no time column \(timestamp, time, date, …\): name the columns/);
    const twoIps = await postBulk(app, 'ip,src_ip,timestamp\n1.1.1.1,2.2.2.2,1\n');
    expect(JSON.parse(twoIps.body).message).toBe('columns "ip" and "src_ip" both look like the ip column: rename all but one');
  });

  it('400 for UTF-16 (with or without a byte order mark) and a non-UTF-8 charset', async () => {
    const text = 'ip,port,timestamp\n198.51.100.7,1100,2026-10-25T00:30:00Z\n';
    const le = await postBulk(app, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    expect(le.statusCode).toBe(400);
    expect(JSON.parse(le.body).message).toMatch(/^the file is UTF-16 \(byte order mark FF FE\): save the file as UTF-8/);
    const bare = await postBulk(app, Buffer.from(text, 'utf16le'));
    expect(JSON.parse(bare.body).message).toMatch(/NUL bytes/);
    const declared = await postBulk(app, text, '', { 'content-type': 'text/csv; charset=utf-16' });
    expect(declared.statusCode).toBe(400);
    expect(JSON.parse(declared.body).message).toMatch(/charset utf-16 is not accepted/);
  });

  it('reads a UTF-8 byte order mark, CRLF line ends and quoted fields with commas', async () => {
    const csv = '\uFEFFid,ip,port,timestamp,agent\r\n"a,1",198.51.100.7,1100,2026-10-25T00:30:00Z,"Mozilla/5.0 (X11, Linux) ""quoted"""\r\nb,198.51.100.7,1100,2026-10-25T00:30:00Z,"two\r\nlines"\r\n';
    const r = await postBulk(app, Buffer.from(csv, 'utf8'));
    expect(r.statusCode).toBe(200);
    expect(r.records[0][0]).toBe('id');
    const rows = byName(r.records);
    expect(rows.map((x) => [x.id, x.agent, x.status])).toEqual([
      ['a,1', 'Mozilla/5.0 (X11, Linux) "quoted"', 'unique'],
      ['b', 'two\r\nlines', 'unique'],
    ]);
  });

  it('gives rows it cannot read an error row in their place, and never stops the file', async () => {
    const csv = [
      'id,ip,port,timestamp',
      '1,300.1.1.1,1100,2026-10-25T00:30:00Z',
      '2,198.51.100.7,99999,2026-10-25T00:30:00Z',
      '3,198.51.100.7,1100,yesterday',
      '4,198.51.100.7,1100,2026-10-25T00:30:00Z,extra',
      '5,198.51.100.7',
      '6,198.51.100.7,1100,2026-10-25T02:30:00',
      '7,198.51.100.7,1100,"2026-10-25T00:30:00Z"x',
      '8,198.51.100.7,1100,2026-10-25T00:30:00Z',
      '9,,1100,2026-10-25T00:30:00Z',
      '10,198.51.100.7,1100,"2026-10-25T00:30:00Z',
      '11,198.51.100.7,1100,2026-10-25T00:30:00Z',
    ].join('\n');
    const r = await postBulk(app, csv);
    expect(r.statusCode).toBe(200);
    const rows = byName(r.records);
    // row 7 has text after a closing quote: read as one field (relaxed quotes), so a bad time;
    // row 10 opens a quote that never closes: it swallows row 11, and that one record is an error row
    expect(rows.map((x) => x.status)).toEqual(['error', 'error', 'error', 'error', 'error', 'error', 'error', 'unique', 'error', 'error']);
    expect(rows.map((x) => x.reasons.split(':')[0])).toEqual(['bad_ip', 'bad_port', 'bad_time', 'column_count', 'column_count', 'bad_time', 'bad_time', 'end_inferred', 'bad_ip', 'csv_syntax']);
    expect(rows[3].reasons).toBe('column_count: the row has 5 fields and the header 4 (an unquoted comma in a field?)');
    expect(rows[3].id).toBe('4');
    expect(rows[5].reasons).toMatch(/has no zone: add Z or an offset, or give tz/);
    expect(rows[9].reasons).toMatch(/^csv_syntax: Quote Not Closed/);
    expect(r.summary.rows).toBe(10);
    expect(r.summary.byStatus).toEqual({ unique: 1, ambiguous: 0, not_found: 0, outside_retention: 0, error: 9 });
    expect(r.summary.byReason).toMatchObject({ bad_ip: 2, bad_port: 1, bad_time: 3, column_count: 2, csv_syntax: 1 });
  });

  it('400 for an unknown zone in ?tz=, and an error row for an unknown zone in a tz column', async () => {
    const q = await postBulk(app, 'ip,port,timestamp\n198.51.100.7,1100,2026-10-25T00:30:00\n', 'tz=Mars/Olympus');
    expect(q.statusCode).toBe(400);
    expect(JSON.parse(q.body).message).toMatch(/^tz: unknown time zone "Mars\/Olympus"/);
    const col = await postBulk(app, 'ip,port,timestamp,tz\n198.51.100.7,1100,2026-10-25T00:30:00,Mars/Olympus\n');
    expect(byName(col.records)[0].reasons).toMatch(/^bad_tz: tz: unknown time zone/);
  });

  it('413 for an upload over the limit, by its declared length and by what arrives', async () => {
    const line = '198.51.100.7,1100,2026-10-25T00:30:00Z\n';
    const small = await testApp({ WHOHAD_BULK_LIMIT_BYTES: '2048' });
    const big = `ip,port,timestamp\n${line.repeat(100)}`;
    const declared = await postBulk(small, big);
    expect(declared.statusCode).toBe(413);
    expect(JSON.parse(declared.body).message).toMatch(/^the upload of 3918 bytes is larger than the bulk limit of 2048 bytes \(WHOHAD_BULK_LIMIT_BYTES\)/);
    // chunked, without a length, over the limit before the answer began
    const early = await postBulk(small, Readable.from([big.slice(0, 1000), big.slice(1000)], { objectMode: false }));
    expect(early.statusCode).toBe(413);
    expect(JSON.parse(early.body).message).toMatch(/^the upload is larger than the bulk limit of 2048 bytes/);
  });

  it('answers the rows read and says so in a last row when a chunked upload passes the limit mid-way', async () => {
    const line = '198.51.100.7,1100,2026-10-25T00:30:00Z\n';
    const limited = await testApp({ WHOHAD_BULK_LIMIT_BYTES: String(200 * 1024) });
    await loadSmallIsp(limited);
    const chunks = ['ip,port,timestamp\n', ...Array.from({ length: 100 }, () => line.repeat(100))];
    const r = await postBulk(limited, Readable.from(chunks, { objectMode: false }));
    expect(r.statusCode).toBe(200);
    const rows = byName(r.records);
    expect(rows.at(-1)!.status).toBe('error');
    expect(rows.at(-1)!.reasons).toMatch(/^upload_incomplete: the upload is larger than the bulk limit of 204800 bytes .*rows after this one were not read$/);
    expect(rows.length).toBeGreaterThan(1000);
    expect(rows.slice(0, -1).filter((x) => x.status !== 'unique')).toEqual([]);
    expect(r.summary).toMatchObject({ complete: false, rows: rows.length });
  });

  it('415 for a body that is not CSV', async () => {
    const r = await app.inject({ method: 'POST', url: `/v1/attribution/bulk?${PURPOSE}`, headers: { ...app.auth, 'content-type': 'application/json' }, payload: '[]' });
    expect(r.statusCode).toBe(415);
  });
});
