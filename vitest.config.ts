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
    // End-to-end suites run real sshds, ssh and rsync; keep them from starving two cores: with three
    // workers the suite takes about 130 s instead of 145 s, but tests that catch a process in the
    // act (SIGSTOP of a scan, a second signal) miss it now and then.
    maxWorkers: 2,
    minWorkers: 1,
    // Each worker runs its test files one after another in one process, instead of a new process
    // per file: no file relies on a module state of its own (sandboxes and CLI runs are per file;
    // the sshd is shared on purpose, see shareSshd), and 114 process starts and module loads cost
    // about 10% of the suite's time.
    isolate: false,
  },
});
