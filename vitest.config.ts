import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end suites each start their own sshd; keep them from starving two cores.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
