import { describe, expect, it } from 'vitest';
import { findNul, NulFinder } from '../../core/nul.js';

describe('NulFinder', () => {
  const text = Buffer.from('a,b\nc,d\r\ne\u0000f\ng\u0000\n');
  it('names the first NUL by byte and line, counted from 1', () => {
    expect(findNul(text)).toEqual({ byte: 11, line: 3 });
    expect(findNul(Buffer.from('no nul\nhere\n'))).toBeNull();
    expect(findNul(Buffer.from('\u0000'))).toEqual({ byte: 1, line: 1 });
  });

  it('finds the same place whatever the chunks, one byte each included', () => {
    for (const size of [1, 2, 3, 5, 64]) {
      const f = new NulFinder();
      let found = null;
      for (let i = 0; i < text.length; i += size) found = f.push(text.subarray(i, i + size));
      expect(found, String(size)).toEqual({ byte: 11, line: 3 });
    }
  });

  it('finds a NUL at the end of 16 MiB', () => {
    const big = Buffer.alloc(16 << 20, 'x\n');
    big[big.length - 1] = 0;
    expect(findNul(big)).toEqual({ byte: 16 << 20, line: (8 << 20) });
  });
});
