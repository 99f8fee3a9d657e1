import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openBulkInput, recordTooLong, tooLarge } from '../../bulk/input.js';
import { EXIT_CODES } from '../../cli/exit-codes.js';
import { DomainError } from '../../core/domain-error.js';
import { HTTP_STATUS } from '../../service/errors.js';

const open = (text: string | Buffer, limit = 1 << 20) => openBulkInput(Readable.from([Buffer.from(text)]), limit);

describe('bulk input errors are domain errors with codes', () => {
  it('a file that cannot be used is bad_input: 400, exit 2', async () => {
    for (const text of ['', '198.51.100.7,1100,2026-10-25T00:30:00Z\n', Buffer.from('ip,port,timestamp\n', 'utf16le')]) {
      const err = await open(text).catch((e: unknown) => e);
      expect(err, String(text)).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe('bad_input');
    }
    expect([HTTP_STATUS.bad_input, EXIT_CODES.bad_input]).toEqual([400, 2]);
  });

  it('an upload or a header over a limit is too_large: 413, exit 2', async () => {
    await expect(open('id,ip,port,timestamp\n' + 'x'.repeat(100), 50)).rejects.toMatchObject({ code: 'too_large', message: expect.stringMatching(/bulk limit of 50 bytes/) });
    await expect(open(`${'h'.repeat((1 << 20) + 10)}\n`, 4 << 20)).rejects.toMatchObject({ code: 'too_large', message: expect.stringMatching(/^the header line: the record is longer than/) });
    for (const err of [tooLarge(10, 20), recordTooLong(3)]) expect(err).toMatchObject({ code: 'too_large' });
    expect([HTTP_STATUS.too_large, EXIT_CODES.too_large]).toEqual([413, 2]);
  });
});
