// Small helpers shared by the state files: error codes and one-line I/O errors.
import { open, readFile } from 'node:fs/promises';
import { BlatError } from '../errors.js';

/** The `code` of a Node system error (ENOENT, EEXIST…), or undefined. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** A short description of an error for a one-line message: its code, else its message. */
export function describeError(error: unknown): string {
  return errorCode(error) ?? (error instanceof Error ? error.message : String(error));
}

/** Reads `file` as UTF-8; undefined when it does not exist; any other failure is a BlatError naming the file. */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw new BlatError(`${file}: cannot read (${describeError(error)})`, { cause: error });
  }
}

/** Parses `text` as JSON; a BlatError naming `file` when it is not valid JSON. */
export function parseJsonFile(file: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new BlatError(`${file}: not valid JSON (${why}); delete it to start afresh`, { cause: error });
  }
}

/** Is `value` a plain (non-array) object? */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first `bytes` bytes of a file (fewer when it is shorter). */
export async function readFileHead(file: string, bytes: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
