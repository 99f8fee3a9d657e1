import { defineConfig } from 'vitest/config';

/**
 * `npm run test:ui`: the investigator's desk in a real browser (Debian's chromium through
 * playwright-core) against a real service and Redis. One file at a time: each drives one
 * browser, and the machine is small. Screenshots of every page go to test-artifacts/ui.
 */
export default defineConfig({
  test: {
    include: ['test/ui/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    globalSetup: ['test/helpers/global-redis.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
