import type { Result } from 'ioredis';
import { luaCommand, type CommandTable } from '../redis/script-loader.js';

const lua = (file: string) => new URL(`./lua/${file}`, import.meta.url);

/** The retention scripts. As in timeindex/scripts.ts a name ends in its fixed key count. */
export const retentionCommands: CommandTable = [
  luaCommand(lua('purgeChain-1.lua')),
  luaCommand(lua('purgeAdvance-2.lua')),
  luaCommand(lua('holdSwap-1.lua')),
];

type Arg = string | number;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    purgeChain(meta: string, ...argv: Arg[]): Result<number[], Context>;
    purgeAdvance(registry: string, meta: string, ipPrefix: string, upTo: number): Result<number, Context>;
    holdSwap(holds: string, id: string, expected: string, next: string): Result<number, Context>;
  }
}
