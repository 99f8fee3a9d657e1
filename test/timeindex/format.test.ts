import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { BASIS_MASK, BOUNDS_SUFFIX, BUCKET_MS, END_BASIS_CODES, FLAG, U32_MAX } from '../../timeindex/format.js';
import { luaConstants } from './lua-constants.js';

describe('the stored format has one set of numbers', () => {
  const lua = luaConstants('format');

  it('format.lua and format.ts give the same bucket width, end bases and flag bits', () => {
    expect(Object.fromEntries(lua)).toEqual({ BW: BUCKET_MS, U32: U32_MAX, ...END_BASIS_CODES, ...FLAG });
  });

  it('format.lua and format.ts name the key of bounded ends alike', () => {
    const text = readFileSync(new URL('../../timeindex/lua/includes/format.lua', import.meta.url), 'utf8');
    expect(text).toContain(`local BOUNDS = '${BOUNDS_SUFFIX}'`);
  });

  it('the flag bits lie above the end basis and apart from each other', () => {
    const bits = Object.values(FLAG);
    expect(bits.every((b) => (b & BASIS_MASK) === 0 && b < 256)).toBe(true);
    expect(bits.reduce((a, b) => a | b, 0)).toBe(bits.reduce((a, b) => a + b, 0));
    expect(Math.max(...Object.values(END_BASIS_CODES))).toBeLessThanOrEqual(BASIS_MASK);
  });
});
