import { parse } from 'csv-parse/sync';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WINDOW } from '../../bulk/run.js';
import { primaries } from '../../redis/cluster.js';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';
import { aroundLookups, loadSmallIsp } from './helpers.js';

/** About 90 MB of CSV: a server that does not hold back pulls far past BOUND. */
const OFFERED = 2_000_000;
/** Several times what the buffers on the way hold (about 10,000 rows), and reached in seconds by a leak. */
const BOUND = 50_000;
/** Rounds in a row that must find everything blocked before the pipeline counts as stalled. */
const QUIET_ROUNDS = 3;

let app: TestApp;
let inFlight = 0;
const dir = mkdtempSync(join(tmpdir(), 'whohad-backpressure-'));
const socketPath = join(dir, 'whohad.sock');
beforeAll(async () => {
  app = await testApp();
  await loadSmallIsp(app);
  // a Unix socket, not loopback TCP: its kernel buffers are fixed (net.core.wmem_default) where TCP's
  // autotune to tens of MB, so the rows pulled measure the server's buffering, not the kernel's
  await app.listen({ path: socketPath });
  // the stall test needs to see look-ups under way; each still goes to the real resolver and Redis
  aroundLookups(app.resolver, (_q, next) => {
    inFlight++;
    return next().finally(() => inFlight--);
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A PING on every connection the service writes on (each primary of a Cluster): answered after all it sent before. */
async function roundTrip() {
  const redis = app.redis;
  await Promise.all((redis instanceof Cluster ? await primaries(redis) : [redis]).map((node) => node.ping()));
}

const row = (i: number) => `r${i},198.51.100.7,${1024 + (i % 1024)},2026-10-25T00:${String(i % 60).padStart(2, '0')}:00Z\n`;

/** An upload written only when the connection asks for more, so `made` is how far the server has pulled it. */
function lazyUpload(offered: number) {
  const state = { made: 0, last: offered };
  const body = new Readable({
    read() {
      if (state.made === 0) this.push('id,ip,port,timestamp\n');
      if (state.made >= state.last) return void this.push(null);
      let chunk = '';
      for (const to = Math.min(state.made + 64, state.last); state.made < to; ) chunk += row(++state.made);
      this.push(chunk);
    },
  });
  return { body, state };
}

describe('a client that does not read the answer', () => {
  it('makes the server stop reading the upload; once read, every row is answered', async () => {
    const upload = lazyUpload(OFFERED);
    const connection = once(app.server, 'connection');
    const req = request({ socketPath, path: `/v1/attribution/bulk?${PURPOSE}`, method: 'POST', headers: { 'content-type': 'text/csv', ...app.auth } });
    upload.body.pipe(req);
    const [[server], [res]] = (await Promise.all([connection, once(req, 'response')])) as [[Socket], [IncomingMessage]];
    expect(res.statusCode).toBe(200);

    // `res` is left unread. Stalled means: no look-up under way, the client cannot write, the server
    // neither reads nor can write, and no row was pulled since the last round. A round ends with a
    // Redis round trip (every access-log write sent before it is answered) and a macrotask turn
    // (their continuations have run), so a stage that is only slow is caught with a look-up in
    // flight or its socket reading, not mistaken for a stall.
    const blocked = () => inFlight === 0 && req.writableNeedDrain && server.isPaused() && server.writableNeedDrain;
    let quiet = 0;
    let seen = -1;
    while (quiet < QUIET_ROUNDS) {
      await roundTrip();
      await nextTurn();
      if (upload.state.made >= BOUND) expect.fail(`the server pulled ${upload.state.made} of ${OFFERED} rows while nobody read its answer`);
      quiet = blocked() && upload.state.made === seen ? quiet + 1 : 0;
      seen = upload.state.made;
    }
    const pulled = upload.state.made;
    // more than a resolver window went in before the stall: backpressure, not a pipeline that never got going
    expect(pulled).toBeGreaterThan(DEFAULT_WINDOW);
    // the unread answer waits in the pipeline's bounded buffers, not piled up in the socket's queue
    expect(server.writableLength).toBeLessThan(64 * 1024);

    // end the upload where it stands: the answer must cover every row sent, in order
    upload.state.last = pulled;
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    await once(res, 'end');
    const records: string[][] = parse(Buffer.concat(chunks));
    expect(records).toHaveLength(pulled + 1);
    expect(records.slice(1).map((r) => r[0])).toEqual(Array.from({ length: pulled }, (_, i) => `r${i + 1}`));
    expect(JSON.parse(res.trailers['x-whohad-summary']!)).toMatchObject({ rows: pulled, complete: true });
  });
});
