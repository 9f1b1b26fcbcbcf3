import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openScriptSession, runScript } from '../../src/transport/runScript.js';
import { withFakeCommand } from '../helpers/fakeCommand.js';

const dir = mkdtempSync(join(tmpdir(), 'blat-runscript-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const collect = () => {
  const chunks: Buffer[] = [];
  return { onChunk: (c: Buffer) => chunks.push(c), text: () => Buffer.concat(chunks).toString('utf8') };
};

describe('openScriptSession', () => {
  it('runs nothing until given its script, then runs it and hands over its output', async () => {
    const marker = join(dir, 'ran');
    const session = openScriptSession({ kind: 'local' });
    await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(marker)).toBe(false);
    const out = collect();
    const result = await session.run(`: > '${marker}'; printf 'a\\0b'`, out.onChunk);
    expect(result).toEqual({ exitCode: 0, stderr: '' });
    expect(out.text()).toBe('a\0b');
    expect(existsSync(marker)).toBe(true);
  });

  it('ends, having run nothing, when closed without a script', async () => {
    const session = openScriptSession({ kind: 'local' });
    await expect(session.close()).resolves.toBeUndefined();
  });

  it('reports a machine that cannot be reached, as runScript does', async () => {
    await withFakeCommand('ssh', 'echo "ssh: connect to host nowhere port 22: Connection refused" >&2\nexit 255', async () => {
      const target = { kind: 'ssh' as const, host: 'nowhere', sshOptions: [] };
      const early = await openScriptSession(target).run('printf x', () => undefined);
      const late = await runScript(target, 'printf x', () => undefined);
      expect(early.unreachable).toMatch(/refused/);
      expect(early).toEqual(late);
    });
  });
});

// Each waits out a timeout of its own: side by side.
describe.concurrent('limits', () => {
  it('gives up a target that sends nothing for stallTimeout seconds, even while a process it started holds its output', async () => {
    const out = collect();
    // sleep, started by the shell, keeps the output open after the shell is killed.
    const result = await runScript({ kind: 'local', stallTimeout: 1 }, `printf a; sleep 5; printf b`, out.onChunk);
    expect(result.unreachable).toBe('stalled (no answer for 1 s)');
    expect(out.text()).toBe('a');
  });

  it('lets a target that keeps sending run longer than stallTimeout', async () => {
    const out = collect();
    const result = await runScript({ kind: 'local', stallTimeout: 1 }, `for i in 1 2 3 4; do printf x; sleep 0.4; done; echo done >&2`, out.onChunk);
    expect(result).toEqual({ exitCode: 0, stderr: 'done\n' });
    expect(out.text()).toBe('xxxx');
  });

  it('counts what the target writes on stderr as an answer', async () => {
    const result = await runScript({ kind: 'local', stallTimeout: 1 }, `for i in 1 2 3 4; do echo e >&2; sleep 0.4; done`, () => undefined);
    expect(result).toEqual({ exitCode: 0, stderr: 'e\ne\ne\ne\n' });
  });

  it('stops the target when its signal is aborted (interrupted)', async () => {
    const controller = new AbortController();
    const out = collect();
    const running = runScript({ kind: 'local', signal: controller.signal }, `printf a; sleep 5`, (c) => {
      out.onChunk(c);
      controller.abort();
    });
    expect((await running).unreachable).toBe('interrupted');
    expect(out.text()).toBe('a');
  });
});
