import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**', '**/*.fault.test.ts', '**/*.cluster.test.ts', 'test/samples/**', 'test/ui/**'],
    globalSetup: ['test/helpers/global-redis.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
