import { normalisedOrThrow, type QueryInput } from '../../resolver/query.js';
import type { Resolver } from '../../resolver/resolve.js';
import type { AttributionAnswer } from '../../schemas/attribution.js';

/** A resolver asked with plain query objects, read by the one normaliser as every door reads them. */
export interface AskingResolver {
  resolve(q: QueryInput): Promise<AttributionAnswer>;
}

export function asking(resolver: Resolver): AskingResolver {
  return { resolve: (q) => resolver.resolve(normalisedOrThrow(q)) };
}
