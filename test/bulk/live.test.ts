import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveCsvCommand, type CliIo } from '../../cli/resolve-csv.js';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';
import { loadSmallIsp } from './helpers.js';

let app: TestApp;
let url: string;
const dir = mkdtempSync(join(tmpdir(), 'whohad-bulk-test-'));
beforeAll(async () => {
  app = await testApp();
  await loadSmallIsp(app);
  url = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CLI_PURPOSE = { case: 'C-2026-117', legalBasis: 'court-order', purpose: 'fraud complaint', get token() { return app.auth.authorization.slice(7); } };

const row = (i: number) => `r${i},198.51.100.7,${1024 + (i % 1024)},2026-10-25T00:${String(i % 60).padStart(2, '0')}:00Z\n`;

describe('streaming over HTTP', () => {
  it('sends the first answers before the upload has ended, in input order, one per row, with the summary trailer', async () => {
    const req = request(`${url}/v1/attribution/bulk?${PURPOSE}`, { method: 'POST', headers: { 'content-type': 'text/csv', ...app.auth } });
    req.write('id,ip,port,timestamp\n');
    for (let i = 1; i <= 4000; i++) req.write(row(i));
    const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
    expect(res.statusCode).toBe(200);
    expect(res.headers.trailer).toBe('x-whohad-summary');
    const chunks: Buffer[] = [];
    const firstData = new Promise<void>((ok) => res.once('data', () => ok()));
    res.on('data', (c: Buffer) => chunks.push(c));
    await firstData;
    // the request is still open: answers are flowing before the last rows exist
    expect(req.writableEnded).toBe(false);
    for (let i = 4001; i <= 6000; i++) req.write(row(i));
    req.end();
    await once(res, 'end');
    const records: string[][] = parse(Buffer.concat(chunks));
    expect(records).toHaveLength(6001);
    expect(records.slice(1).map((r) => r[0])).toEqual(Array.from({ length: 6000 }, (_, i) => `r${i + 1}`));
    // ports 1024-1535 are sub-A's block then; 1536-2047 has no lease: ambiguous with no_lease_for_private_ip, or not_found
    const statuses = new Set(records.slice(1).map((r) => r[4]));
    expect([...statuses].sort()).toEqual(['not_found', 'unique']);
    const summary = JSON.parse(res.trailers['x-whohad-summary']!);
    expect(summary).toMatchObject({ rows: 6000, complete: true, subscribers: 1 });
    expect(summary.top[0]).toMatchObject({ subscriberId: 'sub-A', candidateRows: 0, first: '2026-10-25T00:00:00.000Z', last: '2026-10-25T00:59:00.000Z' });
    expect(summary.byStatus.unique + summary.byStatus.not_found).toBe(6000);
  });
});

describe('a client that goes away', () => {
  it('stops the job and marks it failed, saying after how many rows', async () => {
    const req = request(`${url}/v1/attribution/bulk?${PURPOSE}`, { method: 'POST', headers: { 'content-type': 'text/csv', ...app.auth } });
    req.on('error', () => undefined);
    req.write('id,ip,port,timestamp\n');
    for (let i = 1; i <= 3000; i++) req.write(row(i));
    const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
    const job = String(res.headers['x-whohad-job']);
    await once(res, 'data');
    res.destroy();
    req.destroy();
    for (;;) {
      const s = (await app.inject({ headers: app.auth, url: `/v1/attribution/bulk/${job}` })).json();
      if (s.state !== 'running') {
        expect(s.state).toBe('failed');
        expect(s.error).toMatch(/^the answer was not delivered to the end \(the client went away after \d+ rows\)$/);
        break;
      }
      await new Promise((ok) => setImmediate(ok));
    }
  });
});

function captureIo(): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  stdout.on('data', (c: Buffer) => o.push(c));
  stderr.on('data', (c: Buffer) => e.push(c));
  return { stdout, stderr, progress: false, out: () => Buffer.concat(o).toString(), err: () => Buffer.concat(e).toString() };
}

describe('whohad resolve-csv', () => {
  it('streams a file to the service, writes the answer and prints the summary', async () => {
    const input = join(dir, 'in.csv');
    const output = join(dir, 'out.csv');
    writeFileSync(input, `id,ip,port,timestamp\n${Array.from({ length: 3000 }, (_, i) => row(i + 1)).join('')}`);
    const io = captureIo();
    expect(await resolveCsvCommand(input, { output, url, ...CLI_PURPOSE }, io)).toBe(0);
    const records: string[][] = parse(readFileSync(output));
    expect(records).toHaveLength(3001);
    expect(records[0]).toEqual(['id', 'ip', 'port', 'timestamp', 'status', 'subscriber_id', 'candidates', 'reasons', 'instants_utc', 'evidence']);
    expect(records[1]).toEqual(expect.arrayContaining(['r1', 'unique', 'sub-A']));
    const err = io.err();
    expect(err).toMatch(/^3000 rows in [\d.]+ s \(\d+ rows\/s\) written to /);
    expect(err).toMatch(/\nrows: 3000\n/);
    expect(err).toMatch(/status: unique \d+, ambiguous 0, not_found \d+, outside_retention 0, error 0/);
    expect(err).toMatch(/most corroborated.*\n {2}sub-A {2}\d+ \/ 0 {2}2026-10-25T00:00:00.000Z - 2026-10-25T00:59:00.000Z/);
    expect(err).toMatch(/full summary with the corroboration table: http:\/\/127\.0\.0\.1:\d+\/v1\/attribution\/bulk\/[\w-]{16}\/summary/);
  });

  it('writes to stdout without -o, with a progress bar on a terminal', async () => {
    const input = join(dir, 'small.csv');
    writeFileSync(input, 'ip,port,timestamp\n198.51.100.7,1100,2026-10-25T00:30:00Z\n');
    const io = { ...captureIo(), progress: true };
    const captured = captureIo();
    io.stdout = captured.stdout;
    expect(await resolveCsvCommand(input, { url, tz: 'UTC', tolerance: '0', ...CLI_PURPOSE }, io)).toBe(0);
    expect(parse(captured.out())[1]).toEqual(expect.arrayContaining(['unique', 'sub-A']));
  });

  it('says what the service refused and exits 1; exits 2 when the service is not there', async () => {
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    const io = captureIo();
    expect(await resolveCsvCommand(empty, { url, ...CLI_PURPOSE }, io)).toBe(1);
    expect(io.err()).toMatch(/^whohad resolve-csv: 400: the file is empty/);
    const gone = captureIo();
    expect(await resolveCsvCommand(empty, { url: 'http://127.0.0.1:1', ...CLI_PURPOSE }, gone)).toBe(2);
    expect(gone.err()).toMatch(/cannot reach the service at http:\/\/127\.0\.0\.1:1/);
  });
});
