import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { defineCommands } from '../../commands.js';
import { expandLua } from '../../redis/script-loader.js';
import { testRedis } from '../helpers/redis.js';

describe('expandLua', () => {
  it('expands each include once, however many includes name it', () => {
    const lua = expandLua(new URL('../../timeindex/lua/natEvents-2.lua', import.meta.url));
    expect(lua.match(/^local function put\(/gm)).toHaveLength(1);
    expect(lua.match(/^local function readMember\(/gm)).toHaveLength(1);
    expect(lua.match(/^local BW = /gm)).toHaveLength(1);
    expect(lua).not.toMatch(/@include/);
  });

  it('refuses an include cycle, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lua-'));
    writeFileSync(join(dir, 'a.lua'), '--- @include "b"\n');
    writeFileSync(join(dir, 'b.lua'), '--- @include "a"\n');
    expect(() => expandLua(pathToFileURL(join(dir, 'a.lua')))).toThrow(/Lua include cycle: .*a\.lua/);
  });
});

describe('profileId', () => {
  let redis: Redis;
  beforeAll(async () => {
    ({ redis } = await testRedis());
    defineCommands(redis);
  });

  it('reports a full dictionary with its code, and adds nothing', async () => {
    await redis.hset('{whohad}:dict', 'n', 32767);
    await expect(new ProfileDictionary(redis).idFor('default', 'kea-csv')).rejects.toMatchObject({ name: 'IndexError', code: 'profiles_full' });
    expect(await redis.hexists('{whohad}:dict', 'p:default|kea-csv')).toBe(0);
  });
});
