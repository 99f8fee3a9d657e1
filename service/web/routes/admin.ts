import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TokenError } from '../../../audit/tokens.js';
import { DomainError } from '../../../core/domain-error.js';
import { contextOf, field, fields, sendPage } from '../context.js';
import { ingestState } from '../ingest-state.js';
import { opsPage, type OpsView } from '../pages/ops.js';

const list = (text: string) => text.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);

/** The administrator's page: tokens (a new one's secret shown once), legal holds, ingest per source. */
export default async function adminRoutes(fastify: FastifyInstance): Promise<void> {
  const page = { role: 'admin' as const, page: true };

  async function render(req: FastifyRequest, reply: FastifyReply, extra: Partial<OpsView>, status = 200) {
    const [tokens, holds, sources] = await Promise.all([fastify.tokens.list(), fastify.holdStore.list(), ingestState(fastify.redis)]);
    return sendPage(reply, opsPage(contextOf(req, reply), { tokens, holds, sources, now: Date.now(), created: null, message: null, error: null, ...extra }), status);
  }
  const actor = (req: FastifyRequest, route: string) => ({ user: req.principal!.name, tokenId: req.principal!.tokenId, client: req.ip, route });
  /** What the form got wrong, on the page; anything else is the error page's. */
  async function attempt(req: FastifyRequest, reply: FastifyReply, work: () => Promise<Partial<OpsView>>) {
    try {
      return await render(req, reply, await work());
    } catch (err) {
      if (err instanceof TokenError) return render(req, reply, { error: err.message }, 400);
      if (err instanceof DomainError && err.code !== 'store_unavailable' && err.code !== 'access_log_unavailable') return render(req, reply, { error: err.text }, err.code === 'not_found' ? 404 : err.code === 'conflict' ? 409 : 400);
      throw err;
    }
  }
  const tokenRecord = (req: FastifyRequest, route: string, details: Record<string, unknown>) =>
    fastify.accessLog.append({ kind: 'token', time: new Date().toISOString(), user: req.principal!.name, tokenId: req.principal!.tokenId, client: req.ip, route, disclosed: [], details });

  fastify.get('/ops', { config: page, schema: { hide: true } }, async (req, reply) => render(req, reply, {}));

  fastify.post('/ops/tokens', { config: page, schema: { hide: true } }, async (req, reply) =>
    attempt(req, reply, async () => {
      const { token, info } = await fastify.tokens.create(field(req.body, 'name').trim(), fields(req.body, 'roles'));
      await tokenRecord(req, 'POST /ops/tokens', { action: 'create', name: info.name, id: info.tokenId, roles: info.roles });
      return { created: { name: info.name, token } };
    }),
  );

  fastify.post('/ops/tokens/revoke', { config: page, schema: { hide: true } }, async (req, reply) =>
    attempt(req, reply, async () => {
      const info = await fastify.tokens.revoke(field(req.body, 'name'));
      await tokenRecord(req, 'POST /ops/tokens/revoke', { action: 'revoke', name: info.name, id: info.tokenId });
      return { message: `Token ${info.name} is revoked; every session started with it has ended.` };
    }),
  );

  fastify.post('/ops/holds', { config: page, schema: { hide: true } }, async (req, reply) =>
    attempt(req, reply, async () => {
      const b = req.body;
      const reason = field(b, 'reason').trim();
      const hold = await fastify.holdStore.create(
        { case: field(b, 'case').trim(), subscribers: list(field(b, 'subscribers')), publicIps: list(field(b, 'publicIps')), from: field(b, 'from').trim(), to: field(b, 'to').trim(), ...(reason ? { reason } : {}) },
        actor(req, 'POST /ops/holds'),
        fastify.accessLog,
      );
      return { message: `Hold ${hold.id} placed for case ${hold.case}.` };
    }),
  );

  fastify.post('/ops/holds/:id/lift', { config: page, schema: { hide: true } }, async (req, reply) =>
    attempt(req, reply, async () => {
      const { id } = req.params as { id: string };
      const reason = field(req.body, 'reason').trim();
      const hold = await fastify.holdStore.lift(id, actor(req, 'POST /ops/holds/{id}/lift'), fastify.accessLog, reason === '' ? undefined : reason);
      return { message: `Hold ${hold.id} lifted.` };
    }),
  );
}
