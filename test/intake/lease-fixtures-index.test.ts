import { describe } from 'vitest';
import { describeIndexChains, loadExpected } from '../helpers/lease-conformance.js';

/**
 * The project's own lease fixtures yield exactly their expected holding intervals once ingested:
 * parser, writer and the time index's merge together. The real samples pass the same check in
 * `npm run test:samples`.
 */
const FIXTURES = new URL('../fixtures/leases/', import.meta.url);

describe('lease fixtures, ingested', () => {
  describeIndexChains(FIXTURES, loadExpected(FIXTURES));
});
