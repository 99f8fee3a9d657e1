/**
 * The look-up route's floor: GET /v1/attribution as served (token, schema, the legal-basis
 * check, normalising, serialising, metrics) with one ready-made answer instead of resolving, and
 * with `--no-access-log` also without writing the access-log record. What is left is what the
 * route costs around the look-up: the ceiling no resolver can lift the route above, and (without
 * the log) what the record costs. A benchmark figure only: the service never runs this way.
 *   node dist/loadtest/lookup-floor-service.js <ip> <at> [--no-access-log]   (REDIS_URL set)
 * Prints `whohad listening on <url>` once it serves; stops on SIGTERM.
 */
import { connectRedis } from '../commands.js';
import { loadConfig } from '../config.js';
import { normalisedOrThrow } from '../resolver/query.js';
import { buildApp } from '../service/app.js';
import { readyAnswer } from './ready-answer.js';

const [ip, at, ...rest] = process.argv.slice(2);
const redis = connectRedis(process.env.REDIS_URL!);
const app = await buildApp({ config: loadConfig({ WHOHAD_RETENTION_DAYS: '36500' }), redis, logger: false });
const ready = await readyAnswer((port) => app.resolver.resolve(normalisedOrThrow({ ip, port, at })));
app.resolver.resolve = async () => ready;
if (rest.includes('--no-access-log')) app.accessLog.append = async (e) => Object.assign({}, e, { chain: 'floor', seq: 0, prev: '', hash: '' });
const url = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`whohad listening on ${url}`);
process.on('SIGTERM', async () => {
  await app.close();
  redis.disconnect();
  process.exit(0);
});
