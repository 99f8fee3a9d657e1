import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/app.js';
import { loadSmallIsp, postBulk } from '../bulk/helpers.js';

/**
 * Well-formed files answer byte for byte as they did before the reader learned to step over
 * oversized records: the digests in the fixture were taken from the answers of the reader
 * before that change. `WHOHAD_UPDATE_GOLDEN=1` rewrites them (only for a deliberate change of
 * the answer format).
 */
const FIXTURE = new URL('../fixtures/bulk-golden.json', import.meta.url);

let app: TestApp;
beforeAll(async () => {
  app = await testApp();
  await loadSmallIsp(app);
});

const statuses = [
  'a1,198.51.100.7,1100,2026-10-25T00:10:00Z',
  'ab,198.51.100.7,1100,2026-10-25T01:00:01Z',
  'd1,198.51.100.8,443,2026-10-25T00:30:00Z',
  'x1,198.51.100.7,1100,2026-10-24T12:00:00Z',
  'o1,198.51.100.7,1100,2024-01-01T00:00:00Z',
  'e1,nope,1100,2026-10-24T12:00:00Z',
  'e2,198.51.100.7,0x44c,2026-10-24T12:00:00Z',
];

/** Well-formed files of every shape the reader meets, and a few rows it answers as errors. */
export const FILES: Record<string, string> = {
  statuses: ['id,ip,port,timestamp', ...statuses].join('\n'),
  crlfQuoted: [
    '\uFEFFid,ip,port,timestamp,note',
    '1,198.51.100.7,1100,2026-10-25T00:30:00Z,"a, b"',
    '2,198.51.100.7,1100,2026-10-25T00:30:00Z,"say ""hi"""',
    '3,198.51.100.7,1100,2026-10-25T00:30:00Z,"two\r\nlines"',
    '4,198.51.100.7,1100,2026-10-25T00:30:00Z,"bare\nlf"',
    '5,"198.51.100.7","1100","2026-10-25T00:30:00Z",""',
    '',
  ].join('\r\n'),
  crOnly: ['id,ip,port,timestamp', ...statuses].join('\r'),
  w3c: ['date,time,c-ip,c-port,tz', '2026-10-25,00:30:00Z,198.51.100.7,1100,', '2026-10-25,02:30:00,198.51.100.7,1100,Europe/Copenhagen', '2026-10-25,02:30,198.51.100.7,1100,Mars/Base'].join('\n'),
  oddRows: [
    'id,ip,port,timestamp,note',
    '1,198.51.100.7,1100,2026-10-25T00:30:00Z,"x"y',
    '2,198.51.100.7,1100,2026-10-25T00:30:00Z,x"y"',
    '',
    '   ',
    '3,198.51.100.7,1100,2026-10-25T00:30:00Z,a,b',
    '4,198.51.100.7,1100',
    '5,198.51.100.7,1100,2026-10-25T00:30:00Z,=cmd|x,-1',
    '6,198.51.100.7,1100,2026-10-25T00:30:00Z,"unclosed',
  ].join('\n'),
  // fields just under the largest record: still answered as any other row
  nearLimit: [
    'id,ip,port,timestamp,note',
    `1,198.51.100.7,1100,2026-10-25T00:30:00Z,${'n'.repeat(1_048_000)}`,
    `2,198.51.100.7,1100,2026-10-25T00:30:00Z,"${'q'.repeat(500_000)}""${'\n'.repeat(10)}${'q'.repeat(500_000)}"`,
    '3,198.51.100.7,1100,2026-10-25T00:30:00Z,after',
  ].join('\n'),
  many: ['id,ip,port,timestamp', ...Array.from({ length: 3000 }, (_, i) => `r${i},198.51.100.${7 + (i % 2)},${1024 + (i % 1100)},2026-10-25T0${i % 2}:${String(i % 60).padStart(2, '0')}:00Z`)].join('\n'),
};

/** The file in pieces of 1 to 13 bytes: record ends, quotes and the BOM fall across chunk edges. */
function pieces(text: string): Readable {
  const buf = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let at = 0, n = 0; at < buf.length; n++) {
    const size = 1 + ((n * 7) % 13);
    parts.push(buf.subarray(at, at + size));
    at += size;
  }
  return Readable.from(parts);
}

const digest = (body: string) => `${Buffer.byteLength(body)}:${createHash('sha256').update(body).digest('hex')}`;

describe('well-formed files answer byte for byte as before', () => {
  it('in CSV and NDJSON, sent whole or in small pieces', async () => {
    const got: Record<string, string> = {};
    for (const [name, text] of Object.entries(FILES)) {
      for (const format of ['csv', 'ndjson']) {
        const whole = await postBulk(app, text, `format=${format}&tz=UTC`);
        expect(whole.statusCode, `${name} ${whole.body.slice(0, 300)}`).toBe(200);
        got[`${name}.${format}`] = digest(whole.body);
        if (text.length < 100_000) {
          const split = await postBulk(app, pieces(text), `format=${format}&tz=UTC`);
          expect(split.body, `${name} in pieces`).toBe(whole.body);
        }
      }
    }
    if (process.env.WHOHAD_UPDATE_GOLDEN) writeFileSync(FIXTURE, `${JSON.stringify(got, null, 2)}\n`);
    expect(got).toEqual(JSON.parse(readFileSync(FIXTURE, 'utf8')));
  });
});
