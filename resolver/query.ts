import { DomainError } from '../core/domain-error.js';
import { canonicalIp, type CanonicalIp } from '../core/ip.js';
import { MAX_ZONE_NAME, zoneByName } from '../core/zoned.js';
import { queryInstants } from './instant.js';

/**
 * A look-up as asked, from any door: REST query parameters, a bulk row's cells, CLI options.
 * Strings are read strictly; a number is accepted only from callers that hold a typed value.
 */
export interface QueryInput {
  ip: string;
  port?: string | number | null;
  at: string;
  tz?: string;
  tolerance?: string | number;
  natInstance?: string;
  protocol?: number;
}

/**
 * A look-up every door reads the same way: the address canonical, the port a number (or none),
 * the instant(s) read in the zone, the tolerance checked. Only `normaliseQuery` makes one (the
 * private field makes the type nominal), so the resolver cannot be handed a query some door
 * read differently. Its own properties are what was asked, normalised; the instants are read
 * from them once and kept out of sight.
 */
export class NormalisedQuery {
  readonly #times: { instants: readonly number[]; ambiguousLocalTime: boolean };
  readonly ip: CanonicalIp;
  readonly port: number | null;
  /** The time as asked, kept for the answer and the access log. */
  readonly at: string;
  readonly tz?: string;
  /** Seconds either side; absent means the resolver's configured default. */
  readonly tolerance?: number;
  readonly natInstance?: string;
  readonly protocol?: number;

  /** @internal use normaliseQuery */
  constructor(
    q: { ip: CanonicalIp; port: number | null; at: string; tz?: string; tolerance?: number; natInstance?: string; protocol?: number },
    times: { instants: readonly number[]; ambiguousLocalTime: boolean },
  ) {
    this.#times = times;
    this.ip = q.ip;
    this.port = q.port;
    this.at = q.at;
    if (q.tz !== undefined) this.tz = q.tz;
    if (q.tolerance !== undefined) this.tolerance = q.tolerance;
    if (q.natInstance !== undefined) this.natInstance = q.natInstance;
    if (q.protocol !== undefined) this.protocol = q.protocol;
  }

  get instants(): readonly number[] {
    return this.#times.instants;
  }

  /** The local time fell in the repeated DST hour: `instants` holds both. */
  get ambiguousLocalTime(): boolean {
    return this.#times.ambiguousLocalTime;
  }
}

export type Normalised = { ok: true; query: NormalisedQuery } | { ok: false; errors: DomainError[] };

export const MAX_AT_CHARS = 64;
export const MAX_TOLERANCE_S = 3600;

// Decimal digits only: "0x9c7b", "0o116173", "4.0123e4" and "\n40123" all read as some port
// to some parser; a port two tools read differently is refused. Zero-padding ("0080", as
// spreadsheets write) is read as decimal, as bulk files always were.
const DECIMAL_PORT = /^[0-9]{1,5}$/;
const DECIMAL_SECONDS = /^[0-9]{1,4}(\.[0-9]{1,3})?$/;

export function normalisePort(raw: string | number | null | undefined): number | null | DomainError {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'number') {
    if (Number.isInteger(raw) && raw >= 0 && raw <= 65535) return raw;
    return new DomainError('bad_port', `must be an integer from 0 to 65535 (got ${raw})`, 'port');
  }
  if (!DECIMAL_PORT.test(raw)) {
    return new DomainError(
      'bad_port',
      `must be integer, in decimal digits (got ${JSON.stringify(raw)}): give 0 to 65535 without sign, hex, octal, exponent or spaces`,
      'port',
    );
  }
  const port = Number(raw);
  if (port > 65535) return new DomainError('bad_port', `must be <= 65535 (got ${JSON.stringify(raw)}): ports run from 0 to 65535`, 'port');
  return port;
}

export function normaliseIp(raw: string): CanonicalIp | DomainError {
  if (typeof raw !== 'string' || raw === '') return new DomainError('bad_ip', 'the address is empty', 'ip');
  return canonicalIp(raw) ?? new DomainError('bad_ip', `${JSON.stringify(raw)} is not an IPv4 or IPv6 address`, 'ip');
}

export function normaliseTz(raw: string | undefined): string | undefined | DomainError {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw === '') return new DomainError('bad_tz', 'the time zone is empty: give an IANA name such as Europe/Copenhagen, or leave it out', 'tz');
  if (raw.length > MAX_ZONE_NAME) {
    return new DomainError('bad_tz', `is ${raw.length} characters long, longer than any time zone name (at most ${MAX_ZONE_NAME}): give an IANA name such as Europe/Copenhagen`, 'tz');
  }
  if (!zoneByName(raw)) return new DomainError('bad_tz', `unknown time zone ${JSON.stringify(raw)} (use an IANA name such as Europe/Copenhagen)`, 'tz');
  return raw;
}

export function normaliseTolerance(raw: string | number | undefined): number | undefined | DomainError {
  if (raw === undefined) return undefined;
  const value = typeof raw === 'number' ? raw : DECIMAL_SECONDS.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(value) || value < 0 || value > MAX_TOLERANCE_S) {
    return new DomainError('bad_tolerance', `${JSON.stringify(raw)} is not a number of seconds from 0 to ${MAX_TOLERANCE_S} (decimal, e.g. 2 or 0.5)`, 'tolerance');
  }
  return value;
}

/**
 * The one reading of a look-up, shared by `GET /v1/attribution`, bulk rows and `whohad resolve`,
 * so a value one door answers is never refused or read differently by another. Every problem
 * found is returned, each naming its field; the time is read only once its zone is known good.
 */
export function normaliseQuery(q: QueryInput): Normalised {
  const errors: DomainError[] = [];
  const ip = normaliseIp(q.ip);
  if (ip instanceof DomainError) errors.push(ip);
  const port = normalisePort(q.port);
  if (port instanceof DomainError) errors.push(port);
  const tz = normaliseTz(q.tz);
  if (tz instanceof DomainError) errors.push(tz);
  let times: { instants: number[]; ambiguousLocalTime: boolean } | null = null;
  if (typeof q.at !== 'string' || q.at.trim() === '') {
    errors.push(new DomainError('bad_time', 'the time is empty: give ISO 8601 with Z or an offset, epoch seconds or milliseconds, or a local time with tz', 'at'));
  } else if (q.at.length > MAX_AT_CHARS) {
    errors.push(new DomainError('bad_time', `is ${q.at.length} characters long, more than the ${MAX_AT_CHARS} any time needs: give ISO 8601 with Z or an offset`, 'at'));
  } else if (!(tz instanceof DomainError)) {
    const r = queryInstants(q.at, tz);
    if (r.ok) times = r;
    else errors.push(r.error);
  }
  const tolerance = normaliseTolerance(q.tolerance);
  if (tolerance instanceof DomainError) errors.push(tolerance);
  if (errors.length > 0 || times === null) return { ok: false, errors };

  const query = new NormalisedQuery(
    { ip: ip as CanonicalIp, port: port as number | null, at: q.at, tz: tz as string | undefined, tolerance: tolerance as number | undefined, natInstance: q.natInstance, protocol: q.protocol },
    times,
  );
  return { ok: true, query };
}

/** For callers that hold a query they built themselves: the first problem is thrown. */
export function normalisedOrThrow(q: QueryInput): NormalisedQuery {
  const r = normaliseQuery(q);
  if (!r.ok) throw r.errors[0];
  return r.query;
}
