/**
 * Errors as values: what went wrong as a code a program can branch on, the field it is about,
 * and a message for a person (what was wrong, where, what to do). Domain modules say what
 * happened and nothing about transport; `service/errors.ts` turns a code into an HTTP status
 * once and `cli/main.ts` turns it into an exit code once, so the two cannot drift per call site.
 */
export const DOMAIN_CODES = {
  bad_ip: 'an address that is not IPv4 or IPv6 in a form every tool reads alike',
  bad_port: 'a port that is not a decimal whole number from 0 to 65535',
  bad_time: 'a time that names no instant (unreadable, no zone, outside 1970-9999, skipped by DST)',
  bad_tz: 'a time zone that is not an IANA zone name',
  bad_tolerance: 'a tolerance that is not a number of seconds from 0 to 3600',
  bad_parameter: 'another request parameter that is not acceptable (named in field)',
  bad_input: 'an uploaded file or body that cannot be used as a whole (empty, no header, not UTF-8 text, broken off)',
  too_large: 'an upload, or a record in it, over a size limit: split it',
  not_found: 'the thing asked for does not exist (any more)',
  conflict: 'the request contradicts the current state (for example, lifting a lifted hold)',
  store_unavailable: 'the attribution store (Redis) did not take or give the data; retrying is safe',
  access_log_unavailable: 'the access log could not be written, so nothing was disclosed or done',
} as const;

export type DomainCode = keyof typeof DOMAIN_CODES;

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: DomainCode,
    /** What the user sees: names the value that was wrong and what to do, without the field name. */
    message: string,
    /** The parameter, column or option it is about, when there is one. */
    readonly field?: string,
  ) {
    super(message);
  }

  /** The message as one line that says where: `field: message`. */
  get text(): string {
    return this.field === undefined ? this.message : `${this.field}: ${this.message}`;
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}
