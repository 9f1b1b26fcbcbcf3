import { describe, it, expect } from 'vitest';
import { displayWidth, fitLines, shortenMiddle, wrapProse } from '../../src/render/width.js';
import { sanitizeForTerminal } from '../../src/escape.js';

describe('shortenMiddle', () => {
  it.each([
    ['short.txt', 20, 'short.txt'],
    ['docs/very/long/path/to/file.txt', 20, 'docs/ve…/to/file.txt'],
    ['abcdef', 1, '…'],
    ['abcdef', 5, 'a…def'],
    ['abcdef', 6, 'abcdef'],
  ])('%j in %i columns is %j', (text, width, expected) => {
    expect(shortenMiddle(text, width)).toBe(expected);
    expect(displayWidth(shortenMiddle(text, width))).toBeLessThanOrEqual(width);
  });

  it('counts wide characters as two columns and combining marks as none', () => {
    expect(displayWidth('日本語')).toBe(6);
    expect(displayWidth('e\u0301')).toBe(1);
    const cut = shortenMiddle('文書/とても長い名前のファイル.txt', 16);
    expect(displayWidth(cut)).toBeLessThanOrEqual(16);
    expect(cut).toContain('…');
  });

  it('drops colour codes from what it shortens and counts none of them', () => {
    expect(displayWidth('\u001b[35mabc\u001b[39m')).toBe(3);
    expect(shortenMiddle('\u001b[35mabcdefghij\u001b[39m', 5)).toBe('a…hij');
  });

  it('shortens an escaped name without letting any raw control character through', () => {
    const name = sanitizeForTerminal('evil\u001b]0;pwned\u0007\n-rf $(rm -rf ~).txt');
    for (let width = 1; width < name.length; width++) {
      const cut = shortenMiddle(name, width);
      expect(cut).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(displayWidth(cut)).toBeLessThanOrEqual(width);
    }
  });

  it('fits every line of a block', () => {
    expect(fitLines('0123456789\nab', 5)).toBe('0…789\nab');
  });
});

describe('wrapProse', () => {
  it('wraps at spaces, indents the rest, never wider than the width', () => {
    const text = 'm1: propagating deletions would move 30 of the 50 files it holds to trash (more than 50% of them); is a disk unmounted?';
    const out = wrapProse(text, 40, '  ');
    for (const line of out.split('\n')) expect(displayWidth(line)).toBeLessThanOrEqual(40);
    expect(out.split('\n')[0]).toBe('  m1: propagating deletions would move');
    expect(out.split('\n')[1].startsWith('    30 of the')).toBe(true);
    expect(out.replace(/\n +/g, ' ').trim()).toBe(text);
    expect(wrapProse(`a ${'x'.repeat(50)}`, 20, '')).toBe(`a\n  ${shortenMiddle('x'.repeat(50), 18)}`);
  });
});
