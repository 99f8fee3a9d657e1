import type { Cluster, Redis, Result } from 'ioredis';
import { loadLua } from '../timeindex/scripts.js';

/**
 * The retention scripts, registered with `defineCommand` (purging the index's chains is the
 * index's own: timeindex/purge.ts). As in timeindex/scripts.ts a name ends in its fixed key
 * count, which cluster routing of auto-pipelined commands relies on.
 */
const SCRIPTS = ['holdSwap-1'] as const;

const luaDir = new URL('./lua/', import.meta.url);
let sources: Array<{ command: string; numberOfKeys: number; lua: string }> | undefined;
const defined = new WeakSet<object>();

declare module 'ioredis' {
  interface RedisCommander<Context> {
    holdSwap(holds: string, id: string, expected: string, next: string): Result<number, Context>;
  }
}

/** Defines the commands once per client (both callers of it may meet the same client). */
export function defineRetentionCommands(client: Redis | Cluster): void {
  if (defined.has(client)) return;
  sources ??= SCRIPTS.map((file) => {
    const [command, keys] = file.split('-');
    return { command, numberOfKeys: Number(keys), lua: loadLua(new URL(`${file}.lua`, luaDir)) };
  });
  for (const s of sources) client.defineCommand(s.command, { numberOfKeys: s.numberOfKeys, lua: s.lua });
  defined.add(client);
}
