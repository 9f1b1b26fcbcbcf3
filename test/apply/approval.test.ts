// Approval of an apply: refused early without a terminal, asked once the plan is shown.
import { describe, expect, it } from 'vitest';
import { readApproval, requireApprovalPossible } from '../../src/apply/approval.js';
import type { CommandIO } from '../../src/commands/io.js';
import { UsageError } from '../../src/errors.js';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { f, input, snap } from '../plan/builder.js';

function fakeIO(answer: string, stdinIsTTY = true): { io: CommandIO; asked: string[]; err: string[] } {
  const asked: string[] = [];
  const err: string[] = [];
  const io: CommandIO = {
    cwd: '/',
    env: {},
    hostname: 'h',
    stdout: () => undefined,
    stderr: (t) => err.push(t),
    stdoutIsTTY: false,
    stdinIsTTY,
    ask: async (q) => {
      asked.push(q);
      return answer;
    },
    now: () => 0,
  };
  return { io, asked, err };
}

const withSteps = buildPlan(input(snap({ self: 'a', machines: { a: { 'docs/x': f(1) }, b: {} } })));
const inSync = buildPlan(input(snap({ self: 'a', machines: { a: { 'docs/x': f(1) }, b: { 'docs/x': f(1) } } })));

describe('readApproval', () => {
  it('asks what the plan transfers: yes or y applies; anything else refuses, saying nothing was changed', async () => {
    expect(withSteps.steps.length).toBe(1);
    for (const answer of ['y', 'YES\n', ' yes ']) {
      const { io, asked, err } = fakeIO(answer);
      expect(await readApproval(withSteps, {}, io)).toBe(true);
      expect(asked).toEqual(['\nApply: push 1 file (10 B) to b? [y/N] ']);
      expect(err).toEqual([]);
    }
    for (const answer of ['', 'n', 'yess']) {
      const { io, err } = fakeIO(answer);
      expect(await readApproval(withSteps, {}, io)).toBe(false);
      expect(err).toEqual(['Apply cancelled; nothing was changed.\n']);
    }
  });

  it('asks nothing with --auto-approve, nor for a plan without steps', async () => {
    const approved = fakeIO('n');
    expect(await readApproval(withSteps, { autoApprove: true }, approved.io)).toBe(true);
    const empty = fakeIO('n');
    expect(await readApproval(inSync, {}, empty.io)).toBe(true);
    expect([...approved.asked, ...empty.asked]).toEqual([]);
  });
});

describe('requireApprovalPossible', () => {
  it('refuses without a terminal to ask on, unless --auto-approve', () => {
    expect(() => requireApprovalPossible({}, fakeIO('', false).io)).toThrow(UsageError);
    expect(() => requireApprovalPossible({ autoApprove: true }, fakeIO('', false).io)).not.toThrow();
    expect(() => requireApprovalPossible({}, fakeIO('', true).io)).not.toThrow();
  });
});
