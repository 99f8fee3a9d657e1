import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { AllocationEvidenceSchema, AttributionAnswerSchema, LeaseEvidenceSchema } from '../../schemas/attribution.js';
import { LeaseEventSchema, NatEventSchema } from '../../schemas/events.js';
import { ErrorSchema } from '../../schemas/http.js';

export const OPENAPI_INFO = {
  title: 'whohad',
  description: 'Carrier-grade NAT attribution: which subscriber had a public IP and port at an instant, with the evidence.',
  version: '1',
};

/** The OpenAPI document comes from the same schemas the routes validate with. */
export default fp(
  async (fastify) => {
    for (const s of [NatEventSchema, LeaseEventSchema, AllocationEvidenceSchema, LeaseEvidenceSchema, AttributionAnswerSchema, ErrorSchema]) {
      fastify.addSchema(s);
    }
    await fastify.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: OPENAPI_INFO,
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API token from `whohad token create`' } } },
      },
      refResolver: { buildLocalReference: (json, _base, _fragment, i) => (json.$id as string) ?? `def-${i}` },
    });
    await fastify.register(swaggerUi, { routePrefix: '/docs' });
    fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
  },
  { name: 'openapi' },
);
