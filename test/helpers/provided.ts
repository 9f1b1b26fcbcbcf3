// Values test/globalSetup.ts hands to the test files (vitest `provide` / `inject`).
import { inject } from 'vitest';

/** The unprivileged account the harness sshd lets tests log in as. */
export interface LoginUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** Whether globalSetup could compile src/ into dist/, and tsc's output when it could not. */
export interface BuildResult {
  readonly ok: boolean;
  readonly output: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    blatLoginUser: LoginUser;
    blatBuild: BuildResult;
    blatRunDir: string;
  }
}

const NO_SETUP = 'test/globalSetup.ts did not run (is it listed as globalSetup in vitest.config.ts?)';

/** The login user globalSetup prepared (blattest when the tests run as root, else the current user). */
export function readLoginUser(): LoginUser {
  const user = inject('blatLoginUser');
  if (!user) throw new Error(NO_SETUP);
  return user;
}

/** The result of globalSetup's build of dist/. */
export function readBuildResult(): BuildResult {
  const build = inject('blatBuild');
  if (!build) throw new Error(NO_SETUP);
  return build;
}

/** The folder globalSetup made for this run (the shared sshds live in it); its teardown removes it. */
export function readRunDir(): string {
  const dir = inject('blatRunDir');
  if (!dir) throw new Error(NO_SETUP);
  return dir;
}
