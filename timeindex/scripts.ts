import type { Result } from 'ioredis';
import { luaCommand, type CommandTable } from '../redis/script-loader.js';

const lua = (file: string) => new URL(`./lua/${file}`, import.meta.url);

/**
 * The time index's Lua scripts, one per atomic operation. The look-up hops (`*Stab`) only read;
 * leaseStab takes its key count first (its calls are not auto-pipelined, so need no fixed one).
 */
export const timeIndexCommands: CommandTable = [
  luaCommand(lua('natEvents-2.lua')),
  luaCommand(lua('leaseEvents-1.lua')),
  luaCommand(lua('natStab-2.lua'), { readOnly: true }),
  luaCommand(lua('leaseStab-n.lua'), { readOnly: true }),
  luaCommand(lua('profileId-1.lua')),
];

type Arg = string | number | Buffer;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    natEvents(registry: string, meta: string, ...argv: Arg[]): Result<Array<number | string>, Context>;
    leaseEvents(meta: string, ...argv: Arg[]): Result<Array<number | string>, Context>;
    natStabBuffer(registry: string, meta: string, ...argv: Arg[]): Result<Array<Buffer | number>, Context>;
    leaseStabBuffer(numberOfKeys: number, ...keysAndArgv: Arg[]): Result<Array<Buffer | number>, Context>;
    profileId(dict: string, profile: string): Result<number, Context>;
  }
}
