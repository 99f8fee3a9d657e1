import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import type { FastifyError, FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DomainError } from '../../core/domain-error.js';
import { isTransientError } from '../../redis/errors.js';
import { HTTP_STATUS, HttpError } from '../errors.js';
import { contextOf, sendPage } from './context.js';
import { FormTokenError } from './csrf.js';
import type { DeskOptions } from './index.js';
import { errorPage } from './pages/refused.js';
import adminRoutes from './routes/admin.js';
import auditRoutes from './routes/audit.js';
import authRoutes from './routes/auth.js';
import bulkRoutes from './routes/bulk.js';
import lookupRoutes from './routes/lookup.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Where the browser's script is: beside this module once built (dist/service/web/client), or in
 * the build's output when the service runs from its TypeScript sources.
 */
function clientDir(): string | null {
  for (const dir of [join(here, 'client'), join(here, '..', '..', 'dist', 'service', 'web', 'client')]) {
    if (existsSync(join(dir, 'desk.js'))) return dir;
  }
  return null;
}

// Nothing from elsewhere, no inline script or style, no framing; URLs carry case numbers and
// addresses, so no referrer leaves the page either.
const CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'",
].join('; ');

function failure(err: FastifyError | HttpError | DomainError): { status: number; title: string; message: string } {
  if (err instanceof DomainError) return { status: HTTP_STATUS[err.code], title: 'Not done', message: err.text };
  if (err instanceof FormTokenError) {
    return { status: 403, title: 'Form refused', message: 'This form was not accepted: it has expired, was sent from another page, or the session it belonged to has ended. Reload the page and send it again.' };
  }
  const status = err.statusCode ?? 500;
  if (status < 500) return { status, title: 'Not done', message: err.message };
  if (isTransientError(err)) return { status: 503, title: 'Try again shortly', message: 'The attribution store (Redis) is not reachable; nothing was disclosed or stored.' };
  return { status: 500, title: 'Something went wrong', message: 'Internal error; the service log has the details.' };
}

export default async function pages(fastify: FastifyInstance, opts: DeskOptions): Promise<void> {
  await fastify.register(formbody, { bodyLimit: 64 * 1024 });
  const roots = [join(here, 'assets'), clientDir()].filter((d): d is string => d !== null);
  await fastify.register(fastifyStatic, { root: roots, prefix: '/assets/', decorateReply: false, index: false, wildcard: false, cacheControl: true, maxAge: 0 });

  fastify.addHook('onSend', async (_req, reply, payload) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) reply.header('cache-control', 'no-store');
    return payload;
  });

  fastify.setErrorHandler((err: FastifyError | HttpError | DomainError, req, reply) => {
    const f = failure(err);
    if (f.status === 500) req.log.error({ err }, 'desk page failed');
    if (f.status === 503) reply.header('retry-after', '5');
    let ctx;
    try {
      ctx = contextOf(req, reply);
    } catch {
      ctx = { principal: req.principal, csrf: '' };
    }
    return sendPage(reply, errorPage(ctx, f.title, f.message), f.status);
  });

  await fastify.register(authRoutes, opts);
  await fastify.register(lookupRoutes, opts);
  await fastify.register(bulkRoutes, opts);
  await fastify.register(auditRoutes, opts);
  await fastify.register(adminRoutes, opts);
}
