import { DomainError } from '../core/domain-error.js';

/**
 * A problem with the upload as a whole: `bad_input` (it cannot be used) or `too_large` (over a
 * limit). The doors turn the code into their answer (HTTP status, exit code) in their one place.
 */
export const badInput = (message: string) => new DomainError('bad_input', message);
export const tooLargeInput = (message: string) => new DomainError('too_large', message);

/** Whether a failure is the upload's own (a bulk input error), not the service's. */
export const isInputError = (err: unknown): err is DomainError => err instanceof DomainError && (err.code === 'bad_input' || err.code === 'too_large');

/** The largest record read, in bytes; a longer one is almost surely a file without line ends or a runaway quote. */
export const MAX_RECORD_BYTES = 1 << 20;

/** A record over MAX_RECORD_BYTES where it cannot be stepped over (the header line). */
export const recordTooLong = (line?: number) =>
  tooLargeInput(
    `the record ${line ? `ending near line ${line} ` : ''}is longer than ${MAX_RECORD_BYTES} bytes (a field that large is a file without line ends or a quote that never closes): fix or remove it and send the file again`,
  );

export const tooLarge = (limit: number, size?: number) =>
  tooLargeInput(`the upload${size === undefined ? '' : ` of ${size} bytes`} is larger than the bulk limit of ${limit} bytes (WHOHAD_BULK_LIMIT_BYTES): split the file`);
