import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';

/**
 * Limits of the listener and of load: oversized heads, slowloris connections, long path
 * parameters and memory or event-loop pressure each get a clear answer (431, 408, 404, 503
 * with Retry-After) or a closed connection, and the service keeps answering.
 */

async function listening(app: TestApp): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as { port: number }).port;
}

/** A raw connection that collects what the server sends until it closes. */
async function raw(port: number) {
  const s: Socket = connect(port, '127.0.0.1');
  await new Promise<void>((ok, fail) => (s.once('connect', () => ok()), s.once('error', fail)));
  let received = '';
  s.on('data', (d) => (received += d));
  s.on('error', () => {});
  const closed = new Promise<void>((done) => s.once('close', () => done()));
  return { s, closed, received: () => received };
}

describe('the listener', () => {
  it('answers 431 to request headers over WHOHAD_MAX_HEADER_BYTES and keeps serving', async () => {
    const app = await testApp({ WHOHAD_MAX_HEADER_BYTES: '4096' });
    const port = await listening(app);
    const c = await raw(port);
    c.s.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8192)}\r\n\r\n`);
    await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large/);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(ok.status).toBe(200);
  });

  it('closes a slowloris connection (headers one byte at a time) with 408 once WHOHAD_HEADERS_TIMEOUT_MS is up', async () => {
    const app = await testApp({ WHOHAD_HEADERS_TIMEOUT_MS: '300' });
    const port = await listening(app);
    const c = await raw(port);
    const head = `GET /v1/attribution?ip=198.51.100.7&at=2026-10-25T00:30:00Z&${PURPOSE} HTTP/1.1\r\nHost: x\r\n${'X-Pad: slow\r\n'.repeat(1000)}\r\n`;
    let sent = 0;
    // a byte every 20 ms keeps the connection busy, so only the header deadline can end it
    const drip = setInterval(() => {
      if (sent < head.length && !c.s.destroyed) c.s.write(head[sent++]);
    }, 20);
    await c.closed;
    clearInterval(drip);
    expect(sent).toBeLessThan(head.length);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout/);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  it('answers 414 to a path parameter over WHOHAD_MAX_PARAM_LENGTH', async () => {
    const app = await testApp({ WHOHAD_MAX_PARAM_LENGTH: '32' });
    const r = await app.inject({ method: 'POST', url: `/v1/ingest/${'x'.repeat(33)}`, headers: { ...app.auth, 'content-type': 'text/plain' }, payload: '' });
    expect(r.statusCode).toBe(414);
  });
});

describe('load shedding (@fastify/under-pressure)', () => {
  it('answers 503 with Retry-After while the heap is over WHOHAD_MAX_HEAP_BYTES, before any handler runs; liveness still answers', async () => {
    const app = await testApp({ WHOHAD_MAX_HEAP_BYTES: '1', WHOHAD_RETRY_AFTER_S: '7' });
    // the heap is sampled once a second: wait for the first sample
    for (let i = 0; i < 400 && !(app as unknown as { isUnderPressure(): boolean }).isUnderPressure(); i++) await new Promise((done) => setTimeout(done, 10));
    const r = await app.inject({
      method: 'POST', url: '/v1/events', headers: app.auth,
      payload: [{ kind: 'lease', event: 'start', at: '2026-10-25T00:00:00Z', ip: '100.97.0.1', subscriberId: 'shed' }],
    });
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('7');
    expect(r.json()).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'the service is overloaded (heapUsedBytes); nothing was done. Try again in 7 s.', status: 'overloaded' });
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.headers['retry-after']).toBe('7');
    expect(ready.json()).toEqual({ status: 'overloaded' });
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    // shed before the handler: nothing was stored
    const redis = (app as unknown as { redis: { exists(k: string): Promise<number> } }).redis;
    expect(await redis.exists('lm:{default|100.97.0.1}')).toBe(0);
  });

  it('answers 503 with Retry-After while the event loop lags over WHOHAD_MAX_EVENT_LOOP_DELAY_MS', async () => {
    const app = await testApp({ WHOHAD_MAX_EVENT_LOOP_DELAY_MS: '5' });
    const pressure = app as unknown as { isUnderPressure(): boolean };
    // block the loop in turns until the monitor's sample shows the lag (bounded)
    for (let i = 0; i < 40 && !pressure.isUnderPressure(); i++) {
      const until = performance.now() + 100;
      while (performance.now() < until);
      await new Promise((done) => setTimeout(done, 30));
    }
    const r = await app.inject({ url: `/v1/attribution?ip=198.51.100.7&at=2026-10-25T00:30:00Z&${PURPOSE}`, headers: app.auth });
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('10');
    expect(r.json().message).toMatch(/overloaded \(eventLoopDelay\)/);
  });
});
