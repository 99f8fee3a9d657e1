import fp from 'fastify-plugin';
import { AllocationEvidenceSchema, AttributionAnswerSchema, LeaseEvidenceSchema } from '../../schemas/attribution.js';
import { LeaseEventSchema, NatEventSchema } from '../../events/schema.js';
import { ErrorSchema } from '../../schemas/http.js';

/**
 * The schemas routes reach by `$ref` (`'Error#'`, `'AttributionAnswer#'`, ...). A route that
 * refers to one declares a dependency on this plugin, so the reference cannot dangle whether
 * or not the API document is served. The order is the order of the document's components.
 */
export const SHARED_SCHEMAS = [NatEventSchema, LeaseEventSchema, AllocationEvidenceSchema, LeaseEvidenceSchema, AttributionAnswerSchema, ErrorSchema];

export default fp(
  async (fastify) => {
    for (const s of SHARED_SCHEMAS) fastify.addSchema(s);
  },
  { name: 'schemas' },
);
