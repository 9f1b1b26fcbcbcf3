import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Checks ssh/sshd/rsync, prepares the ssh login user, builds dist/ (see the file's header).
    globalSetup: ['test/globalSetup.ts'],
    // Buffers compare by their bytes, at memcmp speed (see the file's header).
    setupFiles: ['test/bufferEquality.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end suites each start their own sshd and mostly wait on blat, ssh and rsync: three
    // workers keep two cores busy (about 130 s here, against 150 s with two).
    maxWorkers: 3,
    minWorkers: 1,
  },
});
