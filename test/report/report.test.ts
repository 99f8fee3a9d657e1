import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPage } from '../../audit/read.js';
import { reportVerify } from '../../cli/report.js';
import { keyIdOf, publicKeys, rotateSigningKey } from '../../core/signing-key.js';
import { canonicalBytes, contentHashOf, sha256Hex } from '../../report/canonical.js';
import { embeddedReport } from '../../report/pdf-read.js';
import { verifyReport, type KeyLookup } from '../../report/verify.js';
import type { SignedReport } from '../../schemas/report.js';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';
import { SMALL_ISP } from '../helpers/events.js';

/**
 * The disclosure report: one look-up (or one bulk job) as a signed document, JSON or PDF, and
 * its verification with nothing but the file and the public keys.
 */

const root = join(import.meta.dirname, '..', '..');
const QUICKSTART = readFileSync(join(root, 'examples', 'quickstart.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const QUICK = 'ip=198.51.100.7&port=40123&at=2026-10-25T01:30:00Z';
const DST = 'ip=198.51.100.7&port=40123&at=2026-10-25T02:30&tz=Europe/Copenhagen';
/** Two subscribers within the tolerance window of a hand-over (SMALL_ISP, 01:00 UTC). */
const CROSSING = 'ip=198.51.100.7&port=1100&at=2026-10-25T01:00:01Z&tolerance=2';

let app: TestApp;
let dataDir: string;
let keys: KeyLookup;
let scratch: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'whohad-report-'));
  scratch = mkdtempSync(join(tmpdir(), 'whohad-report-files-'));
  app = await testApp({ WHOHAD_DATA_DIR: dataDir });
  const r = await app.inject({ method: 'POST', url: '/v1/events', headers: app.auth, payload: [...QUICKSTART, ...SMALL_ISP] });
  expect(r.json()).toEqual({ accepted: QUICKSTART.length + SMALL_ISP.length, rejected: [] });
  const list = (await app.inject({ url: '/v1/keys' })).json() as { keys: Array<{ id: string; publicKeyPem: string }> };
  keys = (id) => list.keys.find((k) => k.id === id)?.publicKeyPem ?? null;
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

async function report(query: string, accept = 'application/json') {
  const r = await app.inject({ url: `/v1/attribution/report?${query}&${PURPOSE}`, headers: { ...app.auth, accept } });
  expect(r.statusCode, r.body).toBe(200);
  return r;
}
const jsonReport = async (query: string) => JSON.parse((await report(query)).body) as SignedReport;
const bytesOf = (s: unknown) => Buffer.from(JSON.stringify(s));

describe('the report of a look-up', () => {
  it('holds the quick-start question as asked, the answer with its evidence, the sources, who asked and why', async () => {
    const r = await report(QUICK);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const s = JSON.parse(r.body) as SignedReport;
    const rep = s.report;
    expect(rep.format).toBe('whohad-disclosure-report/1');
    expect(rep.kind).toBe('lookup');
    expect(rep.lookup!.question).toEqual({ ip: '198.51.100.7', port: '40123', at: '2026-10-25T01:30:00Z' });
    const a = rep.lookup!.answer;
    expect(a.status).toBe('unique');
    expect(a.subscriberId).toBe('sub-004211');
    expect(a.instants).toEqual([{ utc: '2026-10-25T01:30:00.000Z', local: '2026-10-25T01:30:00.000Z', windowFrom: '2026-10-25T01:29:58.000Z', windowTo: '2026-10-25T01:30:02.000Z' }]);
    expect(a.candidates[0].evidence).toEqual([
      {
        allocation: expect.objectContaining({ natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 39936, portEnd: 40959, privateIp: '100.64.12.34', start: '2026-10-25T00:00:00.000Z', end: '2026-10-25T03:00:00.000Z', endBasis: 'released', source: 'canonical' }),
        lease: expect.objectContaining({ ip: '100.64.12.34', subscriberId: 'sub-004211', end: '2026-10-26T20:00:00.000Z', endBasis: 'scheduled', source: 'canonical' }),
      },
    ]);
    expect(rep.grounds).toEqual({ case: 'C-2026-117', legalBasis: 'court-order', purpose: 'fraud complaint' });
    expect(rep.requester).toMatchObject({ user: 'tester', client: '127.0.0.1' });
    expect(rep.software).toEqual({ name: 'whohad', version: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version });
    expect(Date.parse(rep.madeAt)).not.toBeNaN();
    // each source's latest stored event: the quick start's release at 03:00 for canonical events
    expect(rep.sources).toEqual([
      { source: 'canonical', lastIngestedAt: expect.any(String), lastEventAt: '2026-10-25T03:00:00.000Z' },
      { source: 'radius-detail', lastIngestedAt: expect.any(String), lastEventAt: '2026-10-24T20:00:00.000Z' },
    ]);
    // the JSON is the canonical form itself, and the fingerprint is its SHA-256
    expect(r.body).toBe(canonicalBytes(s).toString());
    expect(s.fingerprint).toBe(sha256Hex(canonicalBytes(rep)));
    expect(r.headers['x-whohad-fingerprint']).toBe(s.fingerprint);
    expect(verifyReport(Buffer.from(r.body), keys)).toMatchObject({ ok: true, fingerprint: s.fingerprint });
  });

  it('holds both instants of a repeated local hour, with the raw time text and the zone', async () => {
    const s = await jsonReport(DST);
    expect(s.report.lookup!.question).toEqual({ ip: '198.51.100.7', port: '40123', at: '2026-10-25T02:30', tz: 'Europe/Copenhagen' });
    const a = s.report.lookup!.answer;
    expect(a.instants.map((i) => [i.utc, i.local])).toEqual([
      ['2026-10-25T00:30:00.000Z', '2026-10-25T02:30:00.000+02:00'],
      ['2026-10-25T01:30:00.000Z', '2026-10-25T02:30:00.000+01:00'],
    ]);
    expect(a.reasons).toContain('ambiguous_local_time');
    expect(a.status).toBe('unique');
    expect(verifyReport(bytesOf(s), keys).ok).toBe(true);
  });

  it('is in the access log before it leaves: the record holds the report\'s content hash, and the report names the record', async () => {
    const s = await jsonReport(QUICK);
    const { chain, seq, hash, reportContentHash } = s.report.accessLog;
    expect(reportContentHash).toBe(contentHashOf(s.report));
    const page = await auditPage(app.redis, { case: 'C-2026-117', limit: 100 });
    const record = page.records.find((r) => r.chain === chain && r.seq === seq)!;
    expect(record).toMatchObject({ kind: 'lookup', route: 'GET /v1/attribution/report', hash, status: 'unique', disclosed: ['sub-004211'] });
    expect(record.details).toEqual({ reportContentHash, reportFormat: 'json' });
  });

  it('is refused as a look-up is: without a token, without a case, with a legal basis not configured, with a bad port', async () => {
    expect((await app.inject({ url: `/v1/attribution/report?${QUICK}&${PURPOSE}` })).statusCode).toBe(401);
    const noCase = await app.inject({ url: `/v1/attribution/report?${QUICK}&legalBasis=court-order&purpose=x`, headers: app.auth });
    expect([noCase.statusCode, noCase.json().message]).toEqual([400, 'case: required']);
    const basis = await app.inject({ url: `/v1/attribution/report?${QUICK}&case=C-1&legalBasis=curiosity&purpose=x`, headers: app.auth });
    expect([basis.statusCode, basis.json().message]).toEqual([400, expect.stringMatching(/^legalBasis: "curiosity" is not one of/)]);
    const port = await app.inject({ url: `/v1/attribution/report?ip=198.51.100.7&port=0x9c7b&at=2026-10-25T01:30:00Z&${PURPOSE}`, headers: app.auth });
    expect([port.statusCode, port.json().message]).toEqual([400, expect.stringMatching(/^port: /)]);
  });

  it('answers only JSON or PDF: another format or Accept is refused, and nothing is recorded', async () => {
    const before = (await auditPage(app.redis, { limit: 1000 })).records.length;
    const fmt = await app.inject({ url: `/v1/attribution/report?${QUICK}&${PURPOSE}&format=xml`, headers: app.auth });
    expect([fmt.statusCode, fmt.json().message]).toEqual([400, expect.stringMatching(/^format: /)]);
    const acc = await app.inject({ url: `/v1/attribution/report?${QUICK}&${PURPOSE}`, headers: { ...app.auth, accept: 'text/html' } });
    expect([acc.statusCode, acc.json().message]).toEqual([406, expect.stringMatching(/application\/json or application\/pdf/)]);
    expect((await auditPage(app.redis, { limit: 1000 })).records.length).toBe(before);
  });
});

describe('the PDF', () => {
  it('carries the signed report: extracted from the PDF alone, it verifies and matches the fingerprint', async () => {
    const r = await report(DST, 'application/pdf');
    expect(r.headers['content-type']).toBe('application/pdf');
    expect(r.headers['content-disposition']).toMatch(/^attachment; filename="whohad-lookup-C-2026-117-[0-9a-f]{12}\.pdf"$/);
    const pdf = r.rawPayload;
    const inner = JSON.parse(embeddedReport(pdf).toString('utf8')) as SignedReport;
    expect(inner.fingerprint).toBe(r.headers['x-whohad-fingerprint']);
    expect(inner.report.lookup!.answer.instants).toHaveLength(2);
    expect(verifyReport(pdf, keys)).toMatchObject({ ok: true, container: 'pdf', fingerprint: inner.fingerprint });
    writeFileSync(join(scratch, 'dst.pdf'), pdf);
  });

  it('a truncated PDF is refused as truncated, wherever it was cut', async () => {
    const pdf = (await report(QUICK, 'application/pdf')).rawPayload;
    for (const keep of [pdf.length - 8, pdf.length - 200, Math.floor(pdf.length / 2), 100]) {
      const v = verifyReport(pdf.subarray(0, keep), keys);
      expect(v).toMatchObject({ ok: false, problem: 'truncated' });
      if (!v.ok) expect(v.message).toMatch(/^truncated PDF: it ends after \d+ bytes without its end-of-file marker/);
    }
  });

  it('a changed byte in the attached report is refused as changed content', async () => {
    const pdf = Buffer.from((await report(QUICK, 'application/pdf')).rawPayload);
    const at = pdf.indexOf('/Type /EmbeddedFile');
    const start = pdf.indexOf('stream\n', at) + 'stream\n'.length;
    pdf[start + 20] ^= 0x01;
    const v = verifyReport(pdf, keys);
    expect(v).toMatchObject({ ok: false, problem: 'changed_content' });
    if (!v.ok) expect(v.message).toMatch(/^changed content: the embedded whohad-report\.json /);
  });

  it('a PDF without a report in it is refused as unreadable', async () => {
    const pdf = (await report(QUICK, 'application/pdf')).rawPayload;
    const renamed = Buffer.from(pdf.toString('latin1').replace('/F (whohad-report.json)', '/F (whohad-report.jsox)'), 'latin1');
    expect(verifyReport(renamed, keys)).toMatchObject({ ok: false, problem: 'unreadable', message: 'not a whohad report PDF: it carries no embedded whohad-report.json' });
  });
});

describe('verification refuses, naming what does not match', () => {
  it('a changed byte in the JSON: changed content', async () => {
    const text = (await report(QUICK)).body;
    const changed = text.replace('"subscriberId":"sub-004211"', '"subscriberId":"sub-004212"');
    expect(changed).not.toBe(text);
    const v = verifyReport(Buffer.from(changed), keys);
    expect(v).toMatchObject({ ok: false, problem: 'changed_content' });
    if (!v.ok) expect(v.message).toMatch(/^changed content: the report's SHA-256 is [0-9a-f]{64}, but it was made with [0-9a-f]{64}$/);
  });

  it('a swapped evidence record: changed content', async () => {
    const s = await jsonReport(CROSSING);
    const [c1, c2] = s.report.lookup!.answer.candidates;
    expect([c1.subscriberId, c2.subscriberId]).toEqual(['sub-A', 'sub-B']);
    [c1.evidence[0], c2.evidence[0]] = [c2.evidence[0], c1.evidence[0]];
    expect(verifyReport(bytesOf(s), keys)).toMatchObject({ ok: false, problem: 'changed_content' });
  });

  it('a fingerprint made again over changed content: bad signature', async () => {
    const s = await jsonReport(QUICK);
    s.report.lookup!.answer.subscriberId = 'sub-000001';
    s.report.accessLog.reportContentHash = contentHashOf(s.report);
    s.fingerprint = sha256Hex(canonicalBytes(s.report));
    const v = verifyReport(bytesOf(s), keys);
    expect(v).toMatchObject({ ok: false, problem: 'bad_signature' });
    if (!v.ok) expect(v.message).toMatch(/^bad signature: the signature is not key [0-9a-f]{64}'s signature of this report$/);
  });

  it('a key the verifier does not know: unknown key', async () => {
    const s = await jsonReport(QUICK);
    const stranger = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const v = verifyReport(bytesOf(s), (id) => (id === keyIdOf(stranger) ? stranger : null));
    expect(v).toMatchObject({ ok: false, problem: 'unknown_key' });
    if (!v.ok) expect(v.message).toBe(`unknown key: the report was signed with key ${s.signature.keyId}, which is not among the public keys given`);
  });

  it('a file that is not a report: unreadable, saying why', () => {
    expect(verifyReport(Buffer.from('{"report":'), keys)).toMatchObject({ ok: false, problem: 'unreadable', message: expect.stringMatching(/^the file is not JSON/) });
    expect(verifyReport(Buffer.from('{"report":{}}'), keys)).toMatchObject({ ok: false, problem: 'unreadable', message: 'the file has no "fingerprint"' });
  });
});

describe('whohad report verify', () => {
  const capture = () => {
    let text = '';
    return { stream: { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream, text: () => text };
  };
  async function run(file: string, o: { key?: string; dataDir?: string }) {
    const out = capture();
    const err = capture();
    const code = await reportVerify(file, o, out.stream, err.stream);
    return { code, out: out.text(), err: err.text() };
  }

  it('prints the key id, the fingerprint and the question and answer, and exits 0 for a valid PDF', async () => {
    const r = await report(DST, 'application/pdf');
    const file = join(scratch, 'ok.pdf');
    writeFileSync(file, r.rawPayload);
    const keyFile = join(scratch, 'keys.json');
    writeFileSync(keyFile, (await app.inject({ url: '/v1/keys' })).body);
    const v = await run(file, { key: keyFile });
    expect(v.code).toBe(0);
    expect(v.out).toContain(`fingerprint  ${r.headers['x-whohad-fingerprint']}`);
    expect(v.out).toMatch(/^key id {7}[0-9a-f]{64}$/m);
    expect(v.out).toContain('question     198.51.100.7 port 40123 at "2026-10-25T02:30" Europe/Copenhagen');
    expect(v.out).toContain('answer       unique: sub-004211');
    // without --key: the installation's own key ring
    expect((await run(file, { dataDir })).code).toBe(0);
  });

  it('exits 1 naming the problem for a truncated PDF and for an unknown key', async () => {
    const pdf = (await report(QUICK, 'application/pdf')).rawPayload;
    const cut = join(scratch, 'cut.pdf');
    writeFileSync(cut, pdf.subarray(0, pdf.length - 300));
    const t = await run(cut, { dataDir });
    expect(t.code).toBe(1);
    expect(t.err).toMatch(/INVALID: truncated PDF/);
    const whole = join(scratch, 'whole.pdf');
    writeFileSync(whole, pdf);
    const other = join(scratch, 'other.pem');
    writeFileSync(other, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const k = await run(whole, { key: other });
    expect(k.code).toBe(1);
    expect(k.err).toMatch(/INVALID: unknown key: the report was signed with key [0-9a-f]{64}/);
  });

  it('refuses a key file that is not a key, and a report file that is not there', async () => {
    const bad = join(scratch, 'bad.pem');
    writeFileSync(bad, 'hello');
    await expect(run(join(scratch, 'dst.pdf'), { key: bad })).rejects.toThrow(/is neither a PEM public key nor a key list/);
    await expect(run(join(scratch, 'missing.pdf'), { dataDir })).rejects.toThrow(/cannot read .*missing\.pdf \(ENOENT\)/);
  });
});

describe('the report of a bulk job', () => {
  const csv = 'id,ip,port,timestamp\nr1,198.51.100.7,1100,2026-10-25T00:30:00Z\nr2,198.51.100.7,1100,2026-10-25T01:00:01Z\nr3,198.51.100.7,bad,2026-10-25T00:30:00Z\n';

  async function finishedJob(): Promise<string> {
    const created = await app.inject({ method: 'POST', url: `/v1/attribution/bulk/jobs?${PURPOSE}`, headers: { ...app.auth, 'content-type': 'text/csv' }, payload: csv });
    expect(created.statusCode, created.body).toBe(202);
    const id = created.json().job as string;
    // each ask lets the job run on in between
    for (;;) {
      const s = (await app.inject({ headers: app.auth, url: `/v1/attribution/bulk/${id}` })).json();
      if (s.state !== 'running') return id;
      await new Promise((ok) => setImmediate(ok));
    }
  }

  it('holds the counts, the corroboration table, the kept result\'s digest and the access-log records of the job, and verifies', async () => {
    const id = await finishedJob();
    const r = await app.inject({ url: `/v1/attribution/bulk/${id}/report`, headers: app.auth });
    expect(r.statusCode, r.body).toBe(200);
    const s = JSON.parse(r.body) as SignedReport;
    const b = s.report.bulk!;
    expect(s.report.kind).toBe('bulk');
    expect(b.job).toMatchObject({ id, mode: 'async', state: 'done', format: 'csv' });
    expect(b.summary).toMatchObject({ rows: 3, byStatus: { unique: 1, ambiguous: 1, error: 1 }, subscribers: 2, complete: true });
    expect(b.corroboration.map((c) => [c.subscriberId, c.uniqueRows, c.candidateRows])).toEqual([['sub-A', 1, 1], ['sub-B', 0, 1]]);
    const result = await app.inject({ url: `/v1/attribution/bulk/${id}/result`, headers: app.auth });
    expect(b.result).toEqual({ format: 'csv', sha256: sha256Hex(result.rawPayload), bytes: result.rawPayload.length });
    expect(b.records).toEqual([expect.objectContaining({ rows: [1, 3], disclosed: ['sub-A', 'sub-B'] })]);
    expect(s.report.grounds).toEqual({ case: 'C-2026-117', legalBasis: 'court-order', purpose: 'fraud complaint' });
    expect(verifyReport(Buffer.from(r.body), keys).ok).toBe(true);
    // handing out the report is itself recorded, with its content hash
    const page = await auditPage(app.redis, { case: 'C-2026-117', limit: 100 });
    const record = page.records.find((x) => x.seq === s.report.accessLog.seq && x.chain === s.report.accessLog.chain)!;
    expect(record).toMatchObject({ kind: 'bulk', route: 'GET /v1/attribution/bulk/{job}/report', disclosed: ['sub-A', 'sub-B'], details: { reportContentHash: contentHashOf(s.report) } });
    const pdf = await app.inject({ url: `/v1/attribution/bulk/${id}/report?format=pdf`, headers: app.auth });
    expect(verifyReport(pdf.rawPayload, keys)).toMatchObject({ ok: true, container: 'pdf' });
    // a report handed out earlier is not one of the job's own records
    expect((JSON.parse(embeddedReport(pdf.rawPayload).toString()) as SignedReport).report.bulk!.records).toEqual(b.records);
    writeFileSync(join(scratch, 'bulk.pdf'), pdf.rawPayload);
  });

  it('is refused for a job that does not exist, and for a malformed job id', async () => {
    const none = await app.inject({ url: '/v1/attribution/bulk/AAAAAAAAAAAAAAAA/report', headers: app.auth });
    expect([none.statusCode, none.json().message]).toEqual([404, expect.stringMatching(/^job: no bulk job AAAAAAAAAAAAAAAA/)]);
    const bad = await app.inject({ url: '/v1/attribution/bulk/x/report', headers: app.auth });
    expect(bad.statusCode).toBe(400);
  });
});

describe('key rotation', () => {
  it('keeps reports signed before it verifiable, with the key ring alone', async () => {
    const before = await report(QUICK, 'application/pdf');
    const old = (await app.inject({ url: '/v1/keys' })).json().keys[0].id as string;
    const next = rotateSigningKey(dataDir);
    const ring = publicKeys(dataDir);
    expect(ring.map((k) => [k.id, k.retired !== undefined])).toEqual([[old, true], [next.id, false]]);
    const byRing: KeyLookup = (id) => ring.find((k) => k.id === id)?.publicKeyPem ?? null;
    expect(verifyReport(before.rawPayload, byRing)).toMatchObject({ ok: true, keyId: old });
  });
});
