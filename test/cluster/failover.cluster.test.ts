import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../audit/read.js';
import { ROLES } from '../../audit/tokens.js';
import { connectRedis } from '../../commands.js';
import type { RedisClient } from '../../redis/cluster.js';
import { buildApp } from '../../service/app.js';
import { loadConfig } from '../../config.js';
import { NOW, PURPOSE } from '../helpers/app.js';
import { startCluster, until, type TestCluster } from '../helpers/cluster.js';

/**
 * A primary dies: its replica is promoted, look-ups go on (a bounded number fail meanwhile),
 * and no event that was acknowledged is lost, because with WHOHAD_WAIT_REPLICAS=1 an ingest
 * batch is acknowledged only once a replica holds it (WAIT 1). The test runs its own cluster
 * (3 primaries, 3 replicas), since it breaks one.
 */

let cluster: TestCluster;
let redis: RedisClient;
let app: Awaited<ReturnType<typeof buildApp>>;
let auth: { authorization: string };

const ipOf = (i: number) => `198.18.${i >> 8}.${i & 255}`;
const insideOf = (i: number) => `100.64.${i >> 8}.${i & 255}`;
function eventsOf(i: number) {
  return [
    { kind: 'nat', event: 'alloc', at: '2026-10-25T00:00:00Z', natInstance: 'cgn1', publicIp: ipOf(i), portStart: 1024, portEnd: 1535, privateIp: insideOf(i) },
    { kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: insideOf(i), subscriberId: `sub-${i}`, expiresAt: '2026-10-26T00:00:00Z' },
  ];
}

/** Ingests the addresses `from`..`to`-1; returns those whose two events were both acknowledged. */
async function ingest(from: number, to: number): Promise<number[]> {
  const ids = Array.from({ length: to - from }, (_, k) => from + k);
  const r = await app.inject({ method: 'POST', url: '/v1/events', headers: auth, payload: ids.flatMap(eventsOf) });
  if (r.statusCode !== 200) return [];
  const rejected = new Set((r.json().rejected as Array<{ line: number }>).map((x) => Math.floor((x.line - 1) / 2)));
  return ids.filter((_, k) => !rejected.has(k));
}

const lookup = (i: number) => app.inject({ url: `/v1/attribution?ip=${ipOf(i)}&port=1100&at=2026-10-25T06:00:00Z&${PURPOSE}`, headers: auth });

beforeAll(async () => {
  cluster = await startCluster({ dir: join(tmpdir(), `whohad-failover-${process.pid}`), primaries: 3, replicas: 1 });
  redis = connectRedis(cluster.url, { waitReplicas: 1, waitTimeoutMs: 2000 });
  app = await buildApp({ config: loadConfig({}), redis, now: () => NOW, logger: false });
  auth = { authorization: `Bearer ${(await app.tokens.create('tester', [...ROLES])).token}` };
}, 90_000);

afterAll(async () => {
  await app?.close();
  await redis?.quit().catch(() => redis.disconnect());
  await cluster?.stop();
});

describe('failover of a primary', () => {
  it('promotes its replica; look-ups continue; no acknowledged event is lost', async () => {
    const acknowledged: number[] = [];
    for (let b = 0; b < 3; b++) acknowledged.push(...(await ingest(b * 100, (b + 1) * 100)));
    expect(acknowledged).toHaveLength(300);

    // the primary holding the first address's keys, and its replica
    const before = await cluster.roles();
    const probe = cluster.client(cluster.nodes[0].port);
    const slot = Number(await probe.cluster('KEYSLOT', `r:{${ipOf(0)}}`));
    const slots = (await probe.cluster('SLOTS')) as unknown as Array<[number, number, [string, number]]>;
    probe.disconnect();
    const owner = slots.find(([lo, hi]) => slot >= lo && slot <= hi)!;
    const victim = owner[2][1];
    const heir = before.find((n) => n.role === 'slave' && n.master === victim)!.port;
    expect(heir).toBeGreaterThan(0);

    // look-ups all through the failover, one after another
    const codes: number[] = [];
    let stop = false;
    const querying = (async () => {
      for (let k = 0; !stop; k++) {
        const i = acknowledged[k % acknowledged.length];
        const r = await lookup(i);
        codes.push(r.statusCode);
        if (r.statusCode === 200) expect(r.json()).toMatchObject({ status: 'unique', subscriberId: `sub-${i}` });
      }
    })();

    await cluster.kill(victim);
    // ingest goes on meanwhile: only what a replica confirmed is acknowledged
    let next = 300;
    const promoted = async () => (await cluster.roles()).some((n) => n.port === heir && n.role === 'master' && n.slots > 0);
    // Bounded by time, not by batches: a batch refused at once while the slots are down takes
    // no time, and promotion needs the node timeout plus an election (seconds).
    await until(`the replica on port ${heir} promoted`, async () => {
      if (next < 10_000) {
        acknowledged.push(...(await ingest(next, next + 20)));
        next += 20;
      }
      return promoted();
    }, 60_000);
    await until('cluster_state:ok on the survivors', async () => {
      for (const n of cluster.nodes.filter((x) => x.port !== victim)) {
        const c = cluster.client(n.port);
        const info = String(await c.cluster('INFO')).includes('cluster_state:ok');
        c.disconnect();
        if (!info) return false;
      }
      return true;
    });
    // and after: the look-ups answer again, many in a row
    const failuresAtPromotion = codes.filter((c) => c !== 200).length;
    await until('50 look-ups in a row answered after the promotion', () => codes.length >= 50 && codes.slice(-50).every((c) => c === 200), 30_000);
    stop = true;
    await querying;
    acknowledged.push(...(await ingest(next, next + 50)));

    const failed = codes.filter((c) => c !== 200);
    // bounded: the failures fall within the failover, answered 503 (Redis unreachable), never a wrong answer
    expect(failed.length).toBeLessThanOrEqual(Math.max(20, failuresAtPromotion + 5));
    expect([...new Set(failed)].filter((c) => c !== 503)).toEqual([]);
    console.log(`failover: ${codes.length} look-ups, ${failed.length} failed (${[...new Set(failed)].join(',') || '-'}); ${acknowledged.length} addresses acknowledged of ${next + 50}`);

    // every acknowledged event is still there, on the promoted replica
    for (const i of acknowledged) {
      const r = await lookup(i);
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ status: 'unique', subscriberId: `sub-${i}` });
    }
    const log = await verifyChain(redis);
    expect(log.ok).toBe(true);
  });
});
