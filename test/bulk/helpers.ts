import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import type { Readable } from 'node:stream';
import { PURPOSE, type TestApp } from '../helpers/app.js';
import { expect } from 'vitest';
import { eventFromWire } from '../../events/wire.js';
import { SMALL_ISP } from '../helpers/events.js';
import type { CanonicalEvent } from '../../events/schema.js';
import type { NormalisedQuery } from '../../resolver/query.js';
import type { Resolver } from '../../resolver/resolve.js';

export { SMALL_ISP };

/** Stores the small ISP straight through the index writer (no route, so no ingest token needed). */
export async function loadSmallIsp(app: FastifyInstance) {
  const events = SMALL_ISP.map((e) => {
    const r = eventFromWire(e);
    if (!r.ok) throw new Error(r.reason);
    return r.event as CanonicalEvent;
  });
  const out = await app.indexWriter.write(events);
  expect(out).toEqual({ failed: [], stored: SMALL_ISP.length });
}

/** `GET /v1/attribution` as an investigator, with the test purpose. */
export async function singleLookup(app: TestApp, query: Record<string, string>) {
  const r = await app.inject({ url: `/v1/attribution?${new URLSearchParams(query)}&${PURPOSE}`, headers: app.auth });
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
}

export interface BulkReply {
  statusCode: number;
  headers: Record<string, unknown>;
  trailers: Record<string, string>;
  body: string;
  /** The CSV answer as records (header first); empty for a non-200 answer. */
  records: string[][];
  /** The trailer's summary. */
  summary: Record<string, any>;
}

/** A bulk upload as an investigator, with the test purpose. */
export async function postBulk(app: TestApp, payload: string | Buffer | Readable, query = '', headers: Record<string, string> = {}): Promise<BulkReply> {
  const r = await app.inject({
    method: 'POST',
    url: `/v1/attribution/bulk?${PURPOSE}${query ? `&${query}` : ''}`,
    headers: { 'content-type': 'text/csv', ...app.auth, ...headers },
    payload,
  });
  const csv = r.statusCode === 200 && !String(r.headers['content-type']).includes('ndjson');
  return {
    statusCode: r.statusCode,
    headers: r.headers,
    trailers: r.trailers,
    body: r.body,
    records: csv ? parse(r.body, { relax_column_count: true }) : [],
    summary: r.trailers['x-whohad-summary'] ? JSON.parse(r.trailers['x-whohad-summary']) : {},
  };
}

/** Records as objects keyed by the header (the last of duplicate names wins). */
export function byName(records: string[][]): Array<Record<string, string>> {
  const [head, ...rows] = records;
  return rows.map((row) => Object.fromEntries(head.map((h, i) => [h, row[i]])));
}

/**
 * Runs `around` for every look-up the resolver makes for a row, full (an NDJSON answer) or
 * compact (a CSV answer), so that a test holding, counting or gating look-ups sees both kinds.
 * Returns what undoes it.
 */
export function aroundLookups(resolver: Resolver, around: <T>(q: NormalisedQuery, next: () => Promise<T>) => Promise<T>): () => void {
  const full = resolver.resolve;
  const compact = resolver.resolveCompact;
  resolver.resolve = (q) => around(q, () => full.call(resolver, q));
  resolver.resolveCompact = (q) => around(q, () => compact.call(resolver, q));
  return () => {
    resolver.resolve = full;
    resolver.resolveCompact = compact;
  };
}
