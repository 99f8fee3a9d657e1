/**
 * How the time index spreads over a Redis Cluster: loads port-block intervals (default 1
 * million) through the real IndexWriter into a throw-away local cluster of 3 primaries (no
 * replicas: memory is counted per primary), then prints keys, records and used_memory per
 * primary. The keys of one public address share a hash tag, so an address is the unit of
 * distribution: with many addresses the shares are even; a few huge addresses would not be.
 * Usage: npx tsx loadtest/cluster-distribution.ts [intervals=1000000]
 *        (or REDIS_CLUSTER_NODES=host:port,… to load into a cluster you run)
 */
import { Cluster, type Redis } from 'ioredis';
import { connectRedis } from '../commands.js';
import { closeClient } from '../redis/client.js';
import { clusterUrl, primaries } from '../redis/cluster.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { IndexWriter } from '../timeindex/writer.js';
import { startCluster } from '../test/helpers/cluster.js';
import { load } from './load.js';
import { DEFAULT_SHAPE, natEvents, type IspShape } from './synthetic-isp.js';

const target = Number(process.argv[2] ?? 1_000_000);
const own = process.env.REDIS_CLUSTER_NODES ? null : await startCluster({ dir: `/tmp/whohad-cluster-dist-${process.pid}`, primaries: 3, replicas: 0 });
const url = own ? own.url : clusterUrl(process.env.REDIS_CLUSTER_NODES!);
const redis = connectRedis(url) as Cluster;
const masters = await primaries(redis);

async function perNode(node: Redis) {
  await node.call('MEMORY', 'PURGE');
  const mem = Number(/used_memory:(\d+)/.exec(await node.info('memory'))![1]);
  const keys = Number(/db0:keys=(\d+)/.exec(await node.info('keyspace'))?.[1] ?? 0);
  let cursor = '0';
  let chainKeys = 0;
  let entries = 0;
  do {
    const [next, batch] = await node.scan(cursor, 'MATCH', 'a:*', 'COUNT', 5000);
    cursor = next;
    chainKeys += batch.length;
    const p = node.pipeline();
    for (const k of batch) p.zcard(k);
    for (const [, n] of (await p.exec()) ?? []) entries += Number(n);
  } while (cursor !== '0');
  let addresses = 0;
  cursor = '0';
  do {
    const [next, batch] = await node.scan(cursor, 'MATCH', 'r:*', 'COUNT', 5000);
    cursor = next;
    addresses += batch.length;
  } while (cursor !== '0');
  return { port: node.options.port, mem, keys, chainKeys, entries, addresses };
}

const baseline = await Promise.all(masters.map(perNode));
const shape: IspShape = { ...DEFAULT_SHAPE, publicIps: Math.ceil(target / (63 * 30 * 3.1)) };
const writer = new IndexWriter(redis, new ProfileDictionary(redis), { days: 36500, now: Date.now });
const loaded = await load(writer, natEvents(shape));
const after = await Promise.all(masters.map(perNode));

const total = after.reduce((s, n) => s + n.entries, 0);
const slots = new Map<number, number>();
for (const [lo, hi, [, port]] of (await masters[0].cluster('SLOTS')) as unknown as Array<[number, number, [string, number]]>) slots.set(port, (slots.get(port) ?? 0) + hi - lo + 1);
console.log(`${shape.publicIps} public addresses, ${total} port-block intervals (${loaded.events} NAT events in ${(loaded.ms / 1000).toFixed(1)} s, ${Math.round(loaded.events / (loaded.ms / 1000))}/s through IndexWriter on the cluster)`);
console.log(`${'primary'.padEnd(8)} ${'slots'.padStart(6)} ${'addresses'.padStart(10)} ${'keys'.padStart(8)} ${'chain keys'.padStart(11)} ${'intervals'.padStart(10)} ${'share'.padStart(6)} ${'used_memory'.padStart(12)} ${'B/interval'.padStart(10)}`);
after.forEach((n, i) => {
  const bytes = n.mem - baseline[i].mem;
  console.log(
    `${String(n.port).padEnd(8)} ${String(slots.get(n.port!) ?? 0).padStart(6)} ${String(n.addresses).padStart(10)} ${String(n.keys).padStart(8)} ${String(n.chainKeys).padStart(11)} ${String(n.entries).padStart(10)} ${((100 * n.entries) / total).toFixed(1).padStart(5)}% ${(bytes / 2 ** 20).toFixed(1).padStart(9)} MiB ${(bytes / n.entries).toFixed(1).padStart(10)}`,
  );
});
await closeClient(redis);
await own?.stop();
