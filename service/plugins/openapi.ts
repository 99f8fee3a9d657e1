import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';

export const OPENAPI_INFO = {
  title: 'whohad',
  description: 'Carrier-grade NAT attribution: which subscriber had a public IP and port at an instant, with the evidence.',
  version: '1',
};

/**
 * Documents the API; validates nothing. The document comes from the same schemas the routes
 * validate with, the shared ones among its components. Registered before the routes, since
 * it learns them as they are added.
 */
export default fp(
  async (fastify) => {
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
  { name: 'openapi', dependencies: ['schemas'] },
);
