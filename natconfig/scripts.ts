import type { Result } from 'ioredis';
import { luaCommand, type CommandTable } from '../redis/script-loader.js';

const lua = (file: string) => new URL(`./lua/${file}`, import.meta.url);

/**
 * The NAT configuration history's scripts: entering a version checked against the versions as
 * they were (versions.ts), and taking back one the access log could not record.
 */
export const natConfigCommands: CommandTable = [
  luaCommand(lua('natConfigEnter-2.lua'), { waitsForReplicas: true }),
  luaCommand(lua('natConfigWithdraw-2.lua'), { waitsForReplicas: true }),
];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    natConfigEnter(versions: string, gen: string, checkedGen: string, id: string, json: string): Result<[string, string?], Context>;
    natConfigWithdraw(versions: string, gen: string, id: string, marker: string): Result<string, Context>;
  }
}
