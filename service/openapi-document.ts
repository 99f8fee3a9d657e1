import { Redis } from 'ioredis';
import { buildApp } from './app.js';
import { loadConfig } from '../config.js';

/**
 * The OpenAPI document exactly as the service serves it at /openapi.json, in YAML. Built from
 * the routes' own schemas with a Redis client that never connects.
 */
export async function openapiYaml(): Promise<string> {
  const redis = new Redis({ lazyConnect: true });
  const app = await buildApp({ config: loadConfig({}), redis, logger: false });
  await app.ready();
  const yaml = app.swagger({ yaml: true });
  await app.close();
  redis.disconnect();
  return yaml;
}
