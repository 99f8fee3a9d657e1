import type { Result } from 'ioredis';
import { luaCommand, type CommandTable } from '../redis/script-loader.js';

const lua = (file: string) => new URL(`./lua/${file}`, import.meta.url);

/**
 * The time index's Lua scripts, one per atomic operation. The look-up scripts only read: both hops
 * in one call on a single Redis (`lookup`), or each hop alone on a Cluster (`*Stab`); leaseStab
 * and lookup take their key count first (their calls are not auto-pipelined, so need no fixed one).
 * Purging a chain is the index's own too (timeindex/purge.ts): only it knows the member format.
 */
export const timeIndexCommands: CommandTable = [
  luaCommand(lua('natEvents-2.lua')),
  luaCommand(lua('leaseEvents-1.lua')),
  luaCommand(lua('natBatch-n.lua')),
  luaCommand(lua('leaseBatch-n.lua')),
  luaCommand(lua('natStab-2.lua'), { readOnly: true }),
  luaCommand(lua('leaseStab-n.lua'), { readOnly: true }),
  luaCommand(lua('lookup-n.lua'), { readOnly: true }),
  luaCommand(lua('profileId-1.lua')),
  luaCommand(lua('purgeChain-1.lua')),
  luaCommand(lua('purgeAdvance-2.lua')),
];

type Arg = string | number | Buffer;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** Per event: 1, or [code, detail] (lua/includes/codes.lua). */
    natEvents(registry: string, meta: string, ...argv: Arg[]): Result<Array<1 | [string, string]>, Context>;
    leaseEvents(meta: string, ...argv: Arg[]): Result<Array<1 | [string, string]>, Context>;
    /** The events of many addresses, single Redis only (key count first): per event as above. */
    natBatch(numberOfKeys: number, ...keysAndArgv: Arg[]): Result<Array<1 | [string, string]>, Context>;
    leaseBatch(numberOfKeys: number, ...keysAndArgv: Arg[]): Result<Array<1 | [string, string]>, Context>;
    natStabBuffer(registry: string, meta: string, ...argv: Arg[]): Result<Array<Buffer | number>, Context>;
    leaseStabBuffer(numberOfKeys: number, ...keysAndArgv: Arg[]): Result<Array<Buffer | number>, Context>;
    /** Every window's reading, packed (the layout is in lua/lookup-n.lua; timeindex/reader.ts reads it). */
    lookupBuffer(numberOfKeys: number, ...keysAndArgv: Arg[]): Result<Buffer, Context>;
    /** The id, or [code, detail] when the dictionary is full. */
    profileId(dict: string, profile: string): Result<number | [string, string], Context>;
    purgeChain(meta: string, ...argv: Arg[]): Result<number[], Context>;
    purgeAdvance(registry: string, meta: string, ipPrefix: string, upTo: number): Result<number, Context>;
  }
}
