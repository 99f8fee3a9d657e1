import { describe } from 'vitest';
import { describeIndexChains, loadExpected } from '../helpers/lease-conformance.js';
import { leaseSamples } from './samples-dir.js';

/**
 * The real lease samples yield exactly the holding intervals in their expected-intervals.json
 * once ingested; the project's own fixtures pass the same check in `npm test`
 * (test/intake/lease-fixtures-index.test.ts).
 */
const SAMPLES = leaseSamples();

describe('real lease files, ingested', () => {
  describeIndexChains(SAMPLES, loadExpected(SAMPLES));
});
