import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditCommands } from '../../audit/scripts.js';
import { redisClient, closeClient } from '../../redis/client.js';
import { expandLua, luaCommand, registerCommands, ScriptLoadError, type CommandTable } from '../../redis/script-loader.js';
import { retentionCommands } from '../../retention/scripts.js';
import { timeIndexCommands } from '../../timeindex/scripts.js';
import { testRedisUrl } from '../helpers/redis.js';

const fixture = (path: string) => new URL(`./lua-fixtures/${path}`, import.meta.url);

function loadError(fn: () => unknown): ScriptLoadError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ScriptLoadError);
    return err as ScriptLoadError;
  }
  throw new Error('expected a ScriptLoadError');
}

let url: string;
const clients: Redis[] = [];
/** A client with no command defined yet (the test helpers' clients have them all). */
const bare = () => {
  const c = new Redis(url);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  url = await testRedisUrl();
});
afterAll(async () => {
  for (const c of clients) await c.quit();
});

describe('a command from its file name', () => {
  it('takes the name and the key count from <name>-<keys>.lua, n for a count the caller passes', () => {
    expect(luaCommand(fixture('usesInclude-1.lua'))).toMatchObject({ name: 'usesInclude', numberOfKeys: 1 });
    expect(luaCommand(fixture('say-n.lua'), { readOnly: true })).toMatchObject({ name: 'say', numberOfKeys: undefined, readOnly: true });
    expect(timeIndexCommands.map((c) => [c.name, c.numberOfKeys])).toEqual([
      ['natEvents', 2], ['leaseEvents', 1], ['natBatch', undefined], ['leaseBatch', undefined], ['natStab', 2], ['leaseStab', undefined], ['lookup', undefined], ['profileId', 1], ['purgeChain', 1], ['purgeAdvance', 2],
    ]);
  });

  it('refuses a file named otherwise, saying how to name it', () => {
    const err = loadError(() => luaCommand(fixture('includes/two.lua')));
    expect(err.code).toBe('script-name');
    expect(err.message).toMatch(/includes\/two\.lua: a script file is named <command>-<keys>\.lua/);
  });
});

describe('includes', () => {
  it('replaces an @include line with the file it names, relative to the including file', () => {
    const lua = expandLua(fixture('usesInclude-1.lua'));
    expect(lua).toBe('local function one(k) return redis.call("GET", k) end\n\nreturn one(KEYS[1])\n');
  });

  it('stops at an include cycle, naming the files on it', () => {
    const err = loadError(() => expandLua(fixture('loops-1.lua')));
    expect(err.code).toBe('include-cycle');
    expect(err.message).toMatch(/loops-1\.lua -> .*cycleA\.lua -> .*cycleB\.lua -> .*cycleA\.lua; remove one of these @include lines/);
  });

  it('names the including file when an include is missing', () => {
    const err = loadError(() => registerCommands(bare(), [[{ name: 'gone', numberOfKeys: 0, lua: fixture('nowhere-0.lua') }]]));
    expect(err.code).toBe('include-missing');
    expect(err.message).toMatch(/nowhere-0\.lua cannot be read \(ENOENT\)/);
  });
});

describe('registering tables on a client', () => {
  it('defines each command once, however often the tables are registered', async () => {
    const client = bare();
    const define = vi.spyOn(client, 'defineCommand');
    const table: CommandTable = [luaCommand(fixture('usesInclude-1.lua'))];
    registerCommands(client, [table]);
    registerCommands(client, [table]);
    expect(define).toHaveBeenCalledTimes(1);
    await client.set('loader:k', 'v');
    expect(await (client as unknown as { usesInclude(k: string): Promise<string> }).usesInclude('loader:k')).toBe('v');
  });

  it('skips the commands a client already has and adds the rest', () => {
    const client = bare();
    registerCommands(client, [timeIndexCommands]);
    const define = vi.spyOn(client, 'defineCommand');
    registerCommands(client, [timeIndexCommands, retentionCommands]);
    expect(define.mock.calls.map((c) => c[0])).toEqual(['holdSwap']);
  });

  it('puts the tables of several owners on one client, each command working', async () => {
    const client = bare();
    registerCommands(client, [timeIndexCommands, retentionCommands, auditCommands]);
    for (const name of ['natEvents', 'leaseStab', 'purgeChain', 'holdSwap', 'auditAppend', 'auditPurge']) {
      expect(typeof (client as unknown as Record<string, unknown>)[name], name).toBe('function');
    }
    expect(await client.profileId('loader:dict', 'isp-a')).toBe(await client.profileId('loader:dict', 'isp-a'));
    // no hold h1 yet: nothing to swap
    expect(await client.holdSwap('loader:holds', 'h1', 'as read', 'next')).toBe(0);
  });

  it('refuses a name another script or a Redis command already has', () => {
    const client = bare();
    registerCommands(client, [[luaCommand(fixture('say-n.lua'))]]);
    const clash = loadError(() => registerCommands(client, [[luaCommand(fixture('other/say-n.lua'))]]));
    expect(clash.code).toBe('command-clash');
    expect(clash.message).toMatch(/command say \(.*other\/say-n\.lua\) is already defined on this client by another script/);
    const builtin = loadError(() => registerCommands(client, [[luaCommand(fixture('get-0.lua'))]]));
    expect(builtin.code).toBe('command-clash');
    expect(builtin.message).toMatch(/would replace the client's own get/);
  });
});

describe('what the tables tell the client', () => {
  it('writes the read-only look-up hops at once instead of auto-pipelining them', async () => {
    const client = redisClient(url, { commands: [timeIndexCommands, retentionCommands, auditCommands] });
    expect(client.options).toMatchObject({ enableAutoPipelining: true, autoPipeliningIgnoredCommands: ['natStab', 'leaseStab', 'lookup'] });
    await closeClient(client);
  });

  it('makes the commands marked as waiting for replicas wait, and only those', async () => {
    // a lone Redis has no replica to confirm anything
    const client = redisClient(url, { commands: [timeIndexCommands, auditCommands], waitReplicas: 1, waitTimeoutMs: 20 });
    await expect(client.auditAppend('{loader}:log', '{loader}:heads', 'c', '', 'idx:', '1 h', '', '', 0, '{}')).rejects.toThrow(/not confirmed by 1 replica\(s\) within 20 ms \(0 did\)/);
    expect(await client.profileId('loader:dict', 'isp-b')).toBeGreaterThan(0);
    await closeClient(client);
  });
});
