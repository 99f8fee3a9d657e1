import type { DomainCode } from '../core/domain-error.js';

/**
 * The one place a domain error becomes an exit code: 2 the command line asked for something
 * unreadable (fix it), 1 the request was understood and refused, 75 (EX_TEMPFAIL) the store or
 * the access log was away (run it again later; every write is idempotent).
 */
export const EXIT_CODES: Record<DomainCode, number> = {
  bad_ip: 2,
  bad_port: 2,
  bad_time: 2,
  bad_tz: 2,
  bad_tolerance: 2,
  bad_parameter: 2,
  bad_input: 2,
  too_large: 2,
  not_found: 1,
  conflict: 1,
  store_unavailable: 75,
  access_log_unavailable: 75,
};
