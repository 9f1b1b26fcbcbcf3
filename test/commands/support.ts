// Shared helpers of the command end-to-end tests: what a machine's root holds, byte for byte.
import { readFile, readdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Sandbox } from '../helpers/machines.js';
import { readStat } from '../helpers/tree.js';

/** One file or symlink as compared across machines: content (hex digest-free, raw), link target, exact mtime. */
export interface Held {
  readonly type: 'file' | 'symlink' | 'dir' | 'other';
  /** File content (files only). */
  readonly content?: Buffer;
  readonly target?: string;
  /** Exact nanoseconds (files and symlinks; undefined for dirs). */
  readonly mtimeNs?: bigint;
  readonly mode: number;
}

/** Every path under the machine's root (but `.blat-trash`) with content, target and exact mtime. */
export async function readHeld(box: Sandbox, machine: string): Promise<Map<string, Held>> {
  const root = box.root(machine);
  const out = new Map<string, Held>();
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(rel ? join(root, rel) : root)) {
      const path = rel ? `${rel}/${name}` : name;
      if (path === '.blat-trash') continue;
      const st = await readStat(join(root, path));
      if (st.type === 'dir') {
        out.set(path, { type: 'dir', mode: st.mode });
        await walk(path);
      } else if (st.type === 'file') {
        out.set(path, { type: 'file', content: await readFile(join(root, path)), mtimeNs: st.mtimeNs, mode: st.mode });
      } else {
        out.set(path, { type: st.type, target: st.target, mtimeNs: st.mtimeNs, mode: st.mode });
      }
    }
  };
  await walk('');
  return out;
}

/** A random suffix for marker files such as /tmp/blat-pwned-<random>. */
export function randomTag(): string {
  return randomBytes(6).toString('hex');
}

/**
 * stderr without ssh's "ControlSocket … already exists, disabling multiplexing" warnings: the harness's
 * machines are one sshd (same host, port and user, hence the same ControlPath %C), so their first
 * connections race for one socket. Everything else stays, for the test to see.
 */
export function withoutMuxNoise(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !/^warning: [\w.-]+: ControlSocket .* already exists, disabling multiplexing$/.test(line))
    .join('\n');
}
