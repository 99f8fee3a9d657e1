import { readFileSync } from 'node:fs';
import type { Cluster, Redis, Result } from 'ioredis';

/**
 * The time index's Lua scripts, one per atomic operation, registered with `defineCommand`.
 * A script's name ends in its key count (BullMQ's convention); the count is fixed, because
 * ioredis routes auto-pipelined cluster commands by their first argument.
 */
const SCRIPTS = ['natEvents-2', 'leaseEvents-1', 'natStab-2', 'leaseStab-1', 'profileId-1'] as const;

const luaDir = new URL('./lua/', import.meta.url);

function load(name: string, seen = new Set<string>()): string {
  if (seen.has(name)) throw new Error(`Lua include cycle at ${name}`);
  seen.add(name);
  const text = readFileSync(new URL(`${name}.lua`, luaDir), 'utf8');
  return text.replace(/^--- @include "([^"]+)"$/gm, (_, inc: string) => load(inc, seen));
}

let sources: Array<{ command: string; numberOfKeys: number; lua: string; readOnly: boolean }> | undefined;

function scriptSources() {
  sources ??= SCRIPTS.map((file) => {
    const [command, keys] = file.split('-');
    return { command, numberOfKeys: Number(keys), lua: load(file), readOnly: command.endsWith('Stab') };
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
    natEvents(registry: string, meta: string, ...argv: Arg[]): Result<Array<number | string>, Context>;
    leaseEvents(meta: string, ...argv: Arg[]): Result<Array<number | string>, Context>;
    natStabBuffer(registry: string, meta: string, ...argv: Arg[]): Result<Array<Buffer | number>, Context>;
    leaseStabBuffer(meta: string, ...argv: Arg[]): Result<Array<Buffer | number>, Context>;
    profileId(dict: string, profile: string): Result<number, Context>;
  }
}
