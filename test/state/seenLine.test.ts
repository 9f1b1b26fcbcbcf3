import { describe, expect, it } from 'vitest';
import { buildSeenFileName, parseSeenLine, renderSeenLine } from '../../src/state/seenLine.js';

const digest = '0123456789abcdef'.repeat(4);

describe('seen lines', () => {
  it('read back what they say', () => {
    const line = renderSeenLine({ digest, token: 'mq3x0-a1b2c3', paths: 1200, files: 1000 });
    expect(line).toBe(`blat-seen-1 ${digest} mq3x0-a1b2c3 1200 1000\n`);
    expect(parseSeenLine(line)).toEqual({ digest, token: 'mq3x0-a1b2c3', paths: 1200, files: 1000 });
    expect(parseSeenLine(line.trimEnd())).toEqual({ digest, token: 'mq3x0-a1b2c3', paths: 1200, files: 1000 });
  });

  it('may be pending (no digest): written "-", read back as null', () => {
    const line = renderSeenLine({ digest: null, token: 't-1', paths: 3, files: 2 });
    expect(line).toBe('blat-seen-1 - t-1 3 2\n');
    expect(parseSeenLine(line)).toEqual({ digest: null, token: 't-1', paths: 3, files: 2 });
  });

  it.each([
    ['another magic word', `blat-seen-2 ${digest} t 1 1`],
    ['a short digest', `blat-seen-1 ${digest.slice(1)} t 1 1`],
    ['a token with a space', `blat-seen-1 ${digest} t u 1 1`],
    ['a negative count', `blat-seen-1 ${digest} t -1 1`],
    ['two lines', `blat-seen-1 ${digest} t 1 1\nblat-seen-1 ${digest} t 1 1`],
    ['nothing', ''],
  ])('are not read from %s', (_what, line) => {
    expect(parseSeenLine(line)).toBeUndefined();
  });

  it('are not written with a token or digest a shell would split or expand', () => {
    expect(() => renderSeenLine({ digest, token: '$(x)', paths: 1, files: 1 })).toThrow();
    expect(() => renderSeenLine({ digest: digest.toUpperCase(), token: 't', paths: 1, files: 1 })).toThrow();
  });

  it('live in a file named after the paths scanned, in their order', () => {
    expect(buildSeenFileName(['docs', 'notes'])).toMatch(/^seen-[0-9a-f]{12}$/);
    expect(buildSeenFileName(['docs', 'notes'])).toBe(buildSeenFileName(['docs', 'notes']));
    expect(buildSeenFileName(['docs', 'notes'])).not.toBe(buildSeenFileName(['docs']));
    expect(buildSeenFileName(['docs', 'notes'])).not.toBe(buildSeenFileName(['notes', 'docs']));
  });
});
