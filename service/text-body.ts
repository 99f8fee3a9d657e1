import type { FastifyRequest } from 'fastify';
import { DomainError } from '../core/domain-error.js';
import { findNul, nulText } from '../core/nul.js';

/**
 * The content-type parser of the doors that take a log as text (`parseAs: 'buffer'`): the body
 * as UTF-8, or, when it holds a NUL byte anywhere, a 400 naming where before a line of it is
 * read, so a UTF-16 or binary file never leaves identifiers no one can type in the index.
 */
export function textBody(_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const nul = findNul(bytes);
  if (nul) return done(new DomainError('bad_input', `${nulText('the body', nul)}: send the log as UTF-8 text; nothing of it was stored`));
  done(null, typeof body === 'string' ? body : bytes.toString('utf8'));
}
