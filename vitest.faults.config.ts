import { defineConfig } from 'vitest/config';

/**
 * The slow fault tests (`npm run test:faults`): each starts, kills and restarts its own
 * redis-server processes, so files run one after another.
 */
export default defineConfig({
  test: {
    include: ['**/*.fault.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    globalSetup: ['test/helpers/global-redis.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
