/**
 * The service side of loadtest/bulk.ts, in a process of its own so that the benchmark's client
 * does not share its CPU time or heap. Started with fork(): argv `REDIS_URL [--floor]
 * [--tree DIR]`, it listens on 127.0.0.1 (port 0), sends `{ url, token }` to its parent, then
 * answers `{ cpuUs, rss }` to each `stats` message, and stops on `stop`.
 *
 * `--tree DIR` runs the service of another checkout of whohad (its node_modules in place), so
 * that one run measures two versions with the same client and the same Redis.
 */
import { pathToFileURL } from 'node:url';
import { readyAnswer } from './ready-answer.js';

const [redisUrl, ...rest] = process.argv.slice(2);
const treeAt = rest.indexOf('--tree');
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const root = treeAt === -1 ? new URL('../', import.meta.url) : pathToFileURL(`${rest[treeAt + 1].replace(/\/$/, '')}/`);
const mod = (path: string) => import(new URL(`${path}${ext}`, root).href);

const { connectRedis } = await mod('commands');
const { buildApp } = await mod('service/app');
const { loadConfig } = await mod('config');
const { normalisedOrThrow } = await mod('resolver/query');

const redis = connectRedis(redisUrl);
const app = await buildApp({ config: loadConfig({ WHOHAD_RETENTION_DAYS: '36500' }), redis, logger: false });
if (rest.includes('--floor')) {
  const [ip, at, ports] = JSON.parse(rest[rest.indexOf('--floor') + 1]) as [string, string, number];
  const ready = await readyAnswer((port: number) => app.resolver.resolve(normalisedOrThrow({ ip, port, at })), 1024 + ports - 1);
  app.resolver.resolve = async () => ready;
  // a CSV answer is resolved in compact form; a service without it (--tree of an older checkout) never asks
  const { compactOf } = await mod('resolver/resolve');
  const compact = compactOf?.(ready);
  app.resolver.resolveCompact = async () => compact;
}
const url = await app.listen({ port: 0, host: '127.0.0.1' });
const { token } = await app.tokens.create(`bulk-bench-${Date.now()}-${process.pid}`, ['investigator']);
process.on('message', async (m: string) => {
  if (m === 'stats') {
    const c = process.cpuUsage();
    process.send!({ cpuUs: c.user + c.system, rss: process.memoryUsage.rss(), peakKb: process.resourceUsage().maxRSS });
  } else if (m === 'stop') {
    await app.close();
    redis.disconnect();
    process.exit(0);
  }
});
process.send!({ url, token });
