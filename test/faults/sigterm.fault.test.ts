import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, TokenStore } from '../../audit/tokens.js';
import { ADDRESS_SHARDS, addressSetKey } from '../../timeindex/addresses.js';
import { FaultyRedis, tempDir, until } from './helpers.js';

/**
 * SIGTERM while a request is in flight, against the real service in a child process: the
 * request in flight finishes with its full answer, new connections are refused, and the
 * process exits 0 once it is done.
 */

const CHILD = fileURLToPath(new URL('./serve-child.js', import.meta.url));

let redis: FaultyRedis;
let child: ChildProcess;
let token: string;
let port: number;
let output = '';

beforeAll(async () => {
  redis = await FaultyRedis.start({ appendonly: false });
  const r = new Redis(redis.url);
  token = (await new TokenStore(r).create('ingester', [...ROLES])).token;
  await r.quit();
  child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, REDIS_URL: redis.url, PORT: '0', HOST: '127.0.0.1', WHOHAD_DATA_DIR: tempDir('whohad-sigterm-'), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const address = await until('the service listening', () => /"listening":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(output)?.[1], 3000, 10);
  port = Number(address);
});
afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await redis?.stop();
});

function open(): Promise<Socket> {
  return new Promise((ok, fail) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => ok(s));
    s.once('error', fail);
  });
}

const event = (i: number) =>
  JSON.stringify({ kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: `100.64.${i >> 8}.${i & 255}`, subscriberId: `sub-${i}`, expiresAt: '2026-10-26T00:00:00Z' });

describe('SIGTERM mid-request', () => {
  it('finishes the request in flight, refuses new connections, then exits 0', async () => {
    const body = Buffer.from(`${Array.from({ length: 1000 }, (_, i) => event(i)).join('\n')}\n`);
    const s = await open();
    let response = '';
    s.on('data', (d) => (response += d));
    const closed = new Promise<void>((done) => s.once('close', () => done()));
    s.write(
      `POST /v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/x-ndjson\r\n` +
        `Content-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
    );
    // the service has taken the request once it asks for the body
    await until('100 Continue', () => response.includes('HTTP/1.1 100 Continue'));
    s.write(body.subarray(0, body.length >> 1));

    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    child.kill('SIGTERM');
    // new connections are refused once the listener is closed (while our request is still open)
    await until('new connections refused', async () => {
      try {
        (await open()).destroy();
        return false;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
      }
    });
    expect(child.exitCode).toBeNull();

    // the rest of the body (write, not end: a client that half-closes gives up its answer)
    s.write(body.subarray(body.length >> 1));
    await closed;
    const [head, json] = response.slice(response.indexOf('HTTP/1.1 200')).split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(JSON.parse(json)).toEqual({ accepted: 1000, rejected: [] });
    expect(await exited).toBe(0);
    expect(output).toContain('SIGTERM: finishing requests in flight, then stopping');

    // and what it acknowledged is in Redis
    const r = new Redis(redis.url);
    const shards = await Promise.all(Array.from({ length: ADDRESS_SHARDS }, (_, i) => r.scard(addressSetKey('lease', i))));
    expect(shards.reduce((a, b) => a + b, 0)).toBe(1000);
    await r.quit();
  });
});
