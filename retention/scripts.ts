import type { Result } from 'ioredis';
import { luaCommand, type CommandTable } from '../redis/script-loader.js';

const lua = (file: string) => new URL(`./lua/${file}`, import.meta.url);

/**
 * The retention scripts (purging the index's chains is the index's own: timeindex/purge.ts). As
 * in timeindex/scripts.ts a name ends in its fixed key count.
 */
export const retentionCommands: CommandTable = [luaCommand(lua('holdSwap-1.lua'))];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    holdSwap(holds: string, id: string, expected: string, next: string): Result<number, Context>;
  }
}
