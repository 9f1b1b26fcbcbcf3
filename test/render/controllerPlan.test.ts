// A controller's plan (self: none) rendered: copy steps as `SRC → DST`, its counts, its JSON read back.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { buildPlanDocument, parsePlanDocument } from '../../src/render/json.js';
import { renderPlanMarkdown } from '../../src/render/markdown.js';
import { renderPlanText } from '../../src/render/table.js';
import { dir, f, input, snap } from '../plan/builder.js';

const plan = buildPlan({
  ...input(snap({ self: 'none', digest: 'b'.repeat(64), machines: { a: { docs: dir(), 'docs/x': f(100) }, b: { docs: dir(), 'docs/x': f(200) }, c: { docs: dir() } } })),
  configDigest: 'a'.repeat(64),
});

describe('a controller plan rendered', () => {
  it('lists each copy as SRC → DST, counts copies in the summary line and the transfers', () => {
    const text = renderPlanText(plan, { color: false, full: false, width: 80 });
    expect(text).toMatch(/Machines: \(self: none, this runner holds no copy\)/);
    expect(text).toMatch(/│ copy +│ docs\/x +│ b → a +│/);
    expect(text).toMatch(/│ copy +│ docs\/x +│ b → c +│/);
    expect(text).toMatch(/Copy 2 files \(20 B\) to 2 machines\./);
    expect(text).toMatch(/Plan: 0 to pull, 0 to push, 2 to copy, 0 deferred, 0 conflicts, 0 deletions held; 1 versions will be kept in trash\./);
    expect(text).not.toMatch(/\(self\)/);
  });

  it('as markdown: a folded section per target', () => {
    const md = renderPlanMarkdown(plan);
    expect(md).toMatch(/copy 2 files \(20 B\) to 2 machines/);
    expect(md).toMatch(/copy to a: 1 file/);
    expect(md).toMatch(/copy to c: 1 file/);
  });

  it('as JSON: valid against the plan schema, self none, summary.copy, and read back whole', () => {
    const doc = buildPlanDocument(plan);
    expect(doc.self).toBe('none');
    expect(doc.summary.copy).toBe(2);
    expect(doc.steps.map((s) => `${s.action} ${s.from}>${s.to}`)).toEqual(['copy b>a', 'copy b>c']);
    const back = parsePlanDocument(JSON.parse(JSON.stringify(doc)), 'saved.plan');
    expect(back.steps).toEqual(plan.steps);
    expect(back.self).toBe('none');
  });

  it('a large plan counted per folder: each copy group names both machines, SRC → DST', () => {
    const many: Record<string, ReturnType<typeof f>> = {};
    for (let i = 0; i < 30; i++) many[`docs/f${i}`] = f(200, 1024);
    const big = buildPlan(input(snap({ self: 'none', machines: { a: { docs: dir(), ...many }, b: { docs: dir() }, c: { docs: dir() } } })));
    const text = renderPlanText(big, { color: false, full: false, width: 80 });
    expect(text).toMatch(/│ docs\/ +│ copy +│ a → b +│ 30 +│ 30\.0 KiB │/);
    expect(text).toMatch(/│ docs\/ +│ copy +│ a → c +│ 30 +│ 30\.0 KiB │/);
    expect(text).toMatch(/Copy 60 files \(60\.0 KiB\) to 2 machines\./);
    // The summary line is never shortened (scripts match it whole); every other line fits.
    for (const line of text.split("\n").filter((l) => !l.startsWith("Plan: "))) expect(line.length, line).toBeLessThanOrEqual(80);
  });
});

