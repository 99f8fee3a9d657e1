import { defineConfig } from 'vitest/config';

/**
 * `npm run test:samples`: the parsers against real files from public projects, read in place
 * from WHOHAD_SAMPLES_DIR (default ../shared/samples beside the repository). They are not part
 * of the repository, so `npm test` runs the project's own fixtures instead (test/fixtures/).
 */
export default defineConfig({
  test: {
    include: ['test/samples/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    globalSetup: ['test/helpers/global-redis.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
