import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Where `npm run test:samples` finds the real sample files: WHOHAD_SAMPLES_DIR, else
 * `../shared/samples` beside the repository. They are read in place, never copied in.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const DEFAULT = resolve(repoRoot, '..', 'shared', 'samples');

export function samplesDir(): string {
  return process.env.WHOHAD_SAMPLES_DIR ? resolve(process.env.WHOHAD_SAMPLES_DIR) : DEFAULT;
}

/** The lease samples folder, or a failure that says where it looked and how to point elsewhere. */
export function leaseSamples(): URL {
  const leases = resolve(samplesDir(), 'leases');
  if (!existsSync(resolve(leases, 'expected-intervals.json'))) {
    throw new Error(
      `The lease samples are not at ${leases}/ (no expected-intervals.json there): set WHOHAD_SAMPLES_DIR to the samples folder that holds leases/, or place shared/samples beside the repository.`,
    );
  }
  return pathToFileURL(`${leases}/`);
}
