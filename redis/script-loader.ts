import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';

/** One Lua script a room of the store owns, defined on a client as a command of its own. */
export interface CommandSpec {
  name: string;
  /** Keys the script takes; undefined: the caller passes the count as the first argument. */
  numberOfKeys: number | undefined;
  lua: URL;
  /** Only reads: a look-up hop, which the client writes at once instead of auto-pipelining it. */
  readOnly?: boolean;
  /** With WHOHAD_WAIT_REPLICAS set, a call resolves only once that many replicas hold what it wrote. */
  waitsForReplicas?: boolean;
}

/** The commands of one owner (the time index, retention, the access log). */
export type CommandTable = readonly CommandSpec[];

export type ScriptLoadErrorCode = 'script-name' | 'include-cycle' | 'include-missing' | 'command-clash';

/** A script table that cannot be loaded: a packaging or programming mistake, never a data problem. */
export class ScriptLoadError extends Error {
  override readonly name = 'ScriptLoadError';
  constructor(
    readonly code: ScriptLoadErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A command from its file, named as BullMQ names its scripts: `natEvents-2.lua` is the command
 * `natEvents` with 2 keys, `leaseStab-n.lua` one whose key count comes first in every call. The
 * count is fixed wherever it can be, because ioredis routes auto-pipelined cluster commands by
 * their first argument, which must then be a key.
 */
export function luaCommand(file: URL, flags: Pick<CommandSpec, 'readOnly' | 'waitsForReplicas'> = {}): CommandSpec {
  const m = /^([A-Za-z][A-Za-z0-9]*)-(\d+|n)\.lua$/.exec(basename(fileURLToPath(file)));
  if (!m) {
    throw new ScriptLoadError('script-name', `${fileURLToPath(file)}: a script file is named <command>-<keys>.lua (keys a number, or n when the caller passes it); rename the file`);
  }
  return { name: m[1], numberOfKeys: m[2] === 'n' ? undefined : Number(m[2]), lua: file, ...flags };
}

const INCLUDE = /^--- @include "([^"]+)"$/gm;

/**
 * A Lua script with its `--- @include "path"` lines replaced by the files they name (relative to
 * the including file, `.lua` added), so that shared pieces such as the member layout exist once.
 * Each file is expanded once per script, at its first include: includes name what they use, so
 * the same small include is often reached along several paths, and a second copy would redefine
 * its locals (Lua allows at most 200 in a chunk). `chain` is the path of includes that led here:
 * a file met again on it would never end.
 */
export function expandLua(file: URL, chain: readonly string[] = [], included = new Set<string>()): string {
  const path = fileURLToPath(file);
  if (chain.includes(path)) {
    throw new ScriptLoadError('include-cycle', `Lua include cycle: ${[...chain, path].join(' -> ')}; remove one of these @include lines`);
  }
  if (included.has(path)) return '';
  included.add(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const from = chain.length > 0 ? `, included from ${chain[chain.length - 1]}` : '';
    throw new ScriptLoadError('include-missing', `Lua script ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})${from}; check the path (the build copies lua/ folders beside the compiled modules)`);
  }
  return text.replace(INCLUDE, (_, inc: string) => expandLua(new URL(`${inc}.lua`, file), [...chain, path], included));
}

const sources = new Map<string, string>();

function sourceOf(spec: CommandSpec): string {
  let lua = sources.get(spec.lua.href);
  if (lua === undefined) {
    lua = expandLua(spec.lua);
    sources.set(spec.lua.href, lua);
  }
  return lua;
}

type Scripted = (Redis | Cluster) & { scriptsSet: Record<string, { lua: string } | undefined> };

/**
 * Defines the commands of every table on the client, each once: a command the client already
 * has from the same script is skipped, so any number of callers may register the same tables on
 * one client. A name that is taken by another script or by a Redis command is an error, as two
 * owners would otherwise overwrite each other's command.
 */
export function registerCommands(client: Redis | Cluster, tables: readonly CommandTable[]): void {
  const scripted = client as Scripted;
  for (const spec of tables.flat()) {
    const lua = sourceOf(spec);
    const existing = scripted.scriptsSet[spec.name];
    if (existing) {
      if (existing.lua === lua) continue;
      throw new ScriptLoadError('command-clash', `command ${spec.name} (${fileURLToPath(spec.lua)}) is already defined on this client by another script; give one of them another name`);
    }
    if (spec.name in client) {
      throw new ScriptLoadError('command-clash', `command ${spec.name} (${fileURLToPath(spec.lua)}) would replace the client's own ${spec.name}; rename the script`);
    }
    client.defineCommand(spec.name, { numberOfKeys: spec.numberOfKeys, lua, readOnly: spec.readOnly ?? false });
  }
}

/** Names of the commands in the tables that have `flag` set. */
export function commandsWith(tables: readonly CommandTable[], flag: 'readOnly' | 'waitsForReplicas'): string[] {
  return tables.flat().filter((c) => c[flag]).map((c) => c.name);
}
