import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type DomainCode } from '../core/domain-error.js';
import { isRedisFull, isTransientError } from '../redis/errors.js';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new HttpError(400, message);

/** The one place a domain error becomes an HTTP status; 503s also get Retry-After. */
export const HTTP_STATUS: Record<DomainCode, number> = {
  bad_ip: 400,
  bad_port: 400,
  bad_time: 400,
  bad_tz: 400,
  bad_tolerance: 400,
  bad_parameter: 400,
  bad_input: 400,
  too_large: 413,
  not_found: 404,
  conflict: 409,
  store_unavailable: 503,
  access_log_unavailable: 503,
};

const NAMES: Record<number, string> = { 400: 'Bad Request', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 503: 'Service Unavailable', 507: 'Insufficient Storage' };

/**
 * One place that turns failures into answers the caller can act on: validation errors name
 * the parameter, a body over the limit says the limit, and a Redis outage is a 503 with
 * Retry-After rather than a stack trace.
 */
export function errorHandler(this: unknown, err: FastifyError | HttpError | DomainError, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof DomainError) {
    const status = HTTP_STATUS[err.code];
    if (status === 503) reply.header('retry-after', '5');
    return reply.code(status).send({ statusCode: status, error: NAMES[status] ?? 'Error', message: err.text });
  }
  let status = err.statusCode ?? 500;
  let message = err.message;
  const fe = err as FastifyError;
  if (fe.validation) {
    status = 400;
    message = fe.validation
      .map((v) => {
        const where = (v.instancePath || '').replace(/^\//, '').replace(/\//g, '.');
        const extra = (v.params as { additionalProperty?: string }).additionalProperty;
        if (extra) return `${extra}: unknown parameter`;
        const missing = (v.params as { missingProperty?: string }).missingProperty;
        if (missing) return `${missing}: required`;
        if (v.keyword === 'pattern' && String((v.params as { pattern?: string }).pattern).includes('u0000')) {
          return `${where}: must not contain control characters (newlines included)`;
        }
        return `${where || fe.validationContext}: ${v.message}`;
      })
      .join('; ');
  } else if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    message = `request body is larger than the limit of ${req.routeOptions.bodyLimit ?? 'the server'} bytes: split it into smaller batches`;
  } else if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    message = `content-type ${JSON.stringify(req.headers['content-type'] ?? '')} is not accepted here: ${message}`;
  } else if (err instanceof HttpError) {
    // written for the caller already; a 503 of ours is as retryable as an outage
    if (status === 503) reply.header('retry-after', '5');
  } else if (status >= 500 && isTransientError(err)) {
    status = 503;
    message = isRedisFull(err)
      ? 'the attribution store (Redis) is full and refused the write; nothing was disclosed or stored. Try again once an operator has freed memory.'
      : 'the attribution store (Redis) is not reachable; nothing was disclosed or stored. Try again shortly.';
    reply.header('retry-after', '5');
  } else if (status >= 500) {
    req.log.error({ err }, 'request failed');
    message = 'internal error; the service log has the details';
  }
  reply.code(status).send({ statusCode: status, error: NAMES[status] ?? (status >= 500 ? 'Internal Server Error' : 'Error'), message });
}
