/**
 * Ingest throughput of device-format files through the real pipeline (parser → IndexWriter →
 * Lua merge), as `whohad ingest` runs it, and of the parser alone. Writes a Juniper PBA syslog
 * file and a Kea lease CSV of at least N lines from the synthetic ISP, into a throw-away
 * redis-server. Usage: node dist/loadtest/ingest-formats.js [lines=1000000]
 */
import { createWriteStream, rmSync } from 'node:fs';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { defineCommands } from '../commands.js';
import { closeClient, reportErrors } from '../redis/client.js';
import { startRedisServer } from '../redis/embedded.js';
import { linesOf, parseStream } from '../intake/pipeline.js';
import { formatByName } from '../parse/registry.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { IndexWriter } from '../timeindex/writer.js';
import { DEFAULT_SHAPE, leaseEvents, natEvents } from './synthetic-isp.js';

const target = Number(process.argv[2] ?? 1_000_000);
const dir = `/tmp/whohad-ingest-${process.pid}`;

async function writeLines(path: string, lines: Iterable<string>): Promise<number> {
  const out = createWriteStream(path);
  let n = 0;
  let chunk = '';
  for (const l of lines) {
    chunk += `${l}\n`;
    n++;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return n;
}

function* juniperLines(): Generator<string> {
  let n = 0;
  // a margin over the estimate: the loop stops at exactly `target` lines
  for (const e of natEvents({ ...DEFAULT_SHAPE, publicIps: Math.ceil((1.2 * target) / (63 * 30 * 3.1 * 1.98)) })) {
    const tag = e.event === 'alloc' ? 'RT_SRC_NAT_PBA_ALLOC' : 'RT_SRC_NAT_PBA_RELEASE';
    const epoch = Math.floor(e.at / 1000).toString(16);
    yield `<14>1 ${new Date(e.at).toISOString()} srx-cgn-1 RT_NAT - ${tag} [junos@2636.1.1.1.2.129 internal-ip="${e.privateIp}" block-used="1" block-max-per-host="8" block-port-low="${e.portStart}" block-port-high="${e.portEnd}" reflexive-ip="${e.publicIp}" nat-pool-name="cgn-pool" logical-system-id="0" epoch-time-64="${epoch}"]`;
    if (++n >= target) return;
  }
}

function* keaLines(): Generator<string> {
  yield 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id';
  let n = 0;
  for (const e of leaseEvents({ ...DEFAULT_SHAPE, privateIps: Math.ceil(target / 30) })) {
    if (e.event !== 'start') continue;
    const s = Number(e.subscriberId.slice(1));
    const mac = `02:00:${[24, 16, 8, 0].map((b) => ((s >>> b) & 255).toString(16).padStart(2, '0')).join(':')}`;
    yield `${e.ip},${mac},,86400,${Math.floor(e.expiresAt! / 1000)},1,0,0,,0,,0`;
    if (++n >= target) return;
  }
}

async function measure(label: string, path: string, format: string, redis: Redis | null) {
  const writer = redis ? new IndexWriter(redis, new ProfileDictionary(redis), { days: 36500, now: Date.now }) : null;
  const t0 = performance.now();
  const r = await parseStream({
    lines: linesOf(path),
    format: formatByName(format),
    options: {},
    context: { now: Date.now() },
    file: path,
    onBatch: async (events) => {
      if (writer) {
        const out = await writer.write(events);
        if (out.failed.length) throw new Error(out.failed[0].reason);
      }
    },
    onReject: (x) => {
      throw new Error(`${x.file}:${x.line}: ${x.reason}`);
    },
  });
  const s = (performance.now() - t0) / 1000;
  console.log(`${label.padEnd(34)} ${String(r.lines).padStart(9)} lines ${String(r.events).padStart(9)} events ${s.toFixed(1).padStart(7)} s ${String(Math.round(r.events / s)).padStart(9)} events/s`);
}

const server = await startRedisServer({ dir, appendonly: false });
const redis = new Redis(server.url);
reportErrors(redis);
defineCommands(redis);
const jun = `${dir}/juniper-pba.log`;
const kea = `${dir}/kea-leases4.csv`;
console.log(`writing ${await writeLines(jun, juniperLines())} juniper-pba lines and ${await writeLines(kea, keaLines())} kea-csv lines`);
await measure('juniper-pba, parse only', jun, 'juniper-pba', null);
await measure('kea-csv, parse only', kea, 'kea-csv', null);
await measure('juniper-pba → Redis', jun, 'juniper-pba', redis);
await measure('kea-csv → Redis', kea, 'kea-csv', redis);
await closeClient(redis);
await server.stop();
rmSync(dir, { recursive: true, force: true });
