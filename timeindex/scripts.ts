import { readFileSync } from 'node:fs';
import type { Cluster, Redis, Result } from 'ioredis';

/**
 * The time index's Lua scripts, one per atomic operation, registered with `defineCommand`.
 * A script's name ends in its key count (BullMQ's convention); the count is fixed, because
 * ioredis routes auto-pipelined cluster commands by their first argument. A name ending in `-n`
 * takes its key count as its first argument (leaseStab, whose calls are not auto-pipelined).
 */
const SCRIPTS = ['natEvents-2', 'leaseEvents-1', 'natStab-2', 'leaseStab-n', 'profileId-1', 'purgeChain-1', 'purgeAdvance-2'] as const;

const luaDir = new URL('./lua/', import.meta.url);

/** The scripts that only read: one hop of a look-up each. */
export const READ_COMMANDS: readonly string[] = SCRIPTS.map((file) => file.split('-')[0]).filter((command) => command.endsWith('Stab'));

/**
 * A Lua script with its `--- @include "path"` lines replaced by the files they name (relative to
 * the including file, `.lua` added), so that shared pieces such as the member layout exist once.
 * Each file is expanded once per script, at its first include: includes name what they use, so
 * the same small include is often reached along several paths, and a second copy would redefine
 * its locals (Lua allows at most 200 in a chunk).
 */
export function loadLua(file: URL, included = new Set<string>(), stack: string[] = []): string {
  if (stack.includes(file.href)) throw new Error(`Lua include cycle at ${file.pathname}`);
  if (included.has(file.href)) return '';
  included.add(file.href);
  const text = readFileSync(file, 'utf8');
  return text.replace(/^--- @include "([^"]+)"$/gm, (_, inc: string) => loadLua(new URL(`${inc}.lua`, file), included, [...stack, file.href]));
}

let sources: Array<{ command: string; numberOfKeys: number | undefined; lua: string; readOnly: boolean }> | undefined;

function scriptSources() {
  sources ??= SCRIPTS.map((file) => {
    const [command, keys] = file.split('-');
    return { command, numberOfKeys: keys === 'n' ? undefined : Number(keys), lua: loadLua(new URL(`${file}.lua`, luaDir)), readOnly: READ_COMMANDS.includes(command) };
  });
  return sources;
}

export function defineIndexCommands(client: Redis | Cluster): void {
  for (const s of scriptSources()) {
    client.defineCommand(s.command, { numberOfKeys: s.numberOfKeys, lua: s.lua, readOnly: s.readOnly });
  }
}

type Arg = string | number | Buffer;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** Per event: 1, or [code, detail] (lua/includes/codes.lua). */
    natEvents(registry: string, meta: string, ...argv: Arg[]): Result<Array<1 | [string, string]>, Context>;
    leaseEvents(meta: string, ...argv: Arg[]): Result<Array<1 | [string, string]>, Context>;
    natStabBuffer(registry: string, meta: string, ...argv: Arg[]): Result<Array<Buffer | number>, Context>;
    leaseStabBuffer(numberOfKeys: number, ...keysAndArgv: Arg[]): Result<Array<Buffer | number>, Context>;
    /** The id, or [code, detail] when the dictionary is full. */
    profileId(dict: string, profile: string): Result<number | [string, string], Context>;
    purgeChain(meta: string, ...argv: Arg[]): Result<number[], Context>;
    purgeAdvance(registry: string, meta: string, ipPrefix: string, upTo: number): Result<number, Context>;
  }
}
