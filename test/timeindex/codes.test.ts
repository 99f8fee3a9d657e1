import { describe, expect, it } from 'vitest';
import { clientFailure, indexError, SCRIPT_CODES, scriptFailure } from '../../timeindex/codes.js';
import { luaConstants } from './lua-constants.js';

describe('script outcome codes', () => {
  it('codes.lua and codes.ts hold the same table', () => {
    expect(Object.fromEntries(luaConstants('codes'))).toEqual(SCRIPT_CODES);
  });

  it('turns every code into a refusal that says what to do', () => {
    for (const code of Object.values(SCRIPT_CODES)) {
      const f = scriptFailure(3, [code, 'detail']);
      expect(f).toMatchObject({ index: 3, transient: false, code });
      expect(f.reason).toMatch(/^not stored: .*detail.*; .*(report|use fewer)/i);
    }
  });

  it('reports a reply it does not know as a fault of the script, with the reply', () => {
    expect(scriptFailure(0, ['no_such_code', 'x'])).toMatchObject({ code: 'script_fault', reason: expect.stringContaining('unknown code no_such_code: x') });
    expect(scriptFailure(0, 'text')).toMatchObject({ code: 'script_fault', reason: expect.stringContaining('unexpected reply "text"') });
  });

  it('classifies what the Redis client reports for a whole call', () => {
    expect(clientFailure(1, new Error('Connection is closed.'))).toEqual({ index: 1, transient: true, code: 'redis_unavailable', reason: 'not stored: Connection is closed.' });
    expect(clientFailure(1, new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toMatchObject({ transient: false, code: 'redis_refused' });
  });

  it('makes an error of a failure that is not about one event', () => {
    const e = indexError(['profiles_full', 'default|kea-csv']);
    expect(e).toMatchObject({ name: 'IndexError', code: 'profiles_full' });
    expect(e.message).toContain('"default|kea-csv"');
  });
});
