// End to end: every line `blat apply --json` (and `apply --resume --json`) prints is one event of schemas/apply-events.schema.json.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { REPO_DIR, runBlat } from '../helpers/cli.js';
import { useDocsMachines } from './support.js';

const SSH = ['m1', 'm2'];
const machines = useDocsMachines(SSH);

const readSchema = async (name: string) => JSON.parse(await readFile(join(REPO_DIR, 'schemas', name), 'utf8')) as object;
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addSchema(await readSchema('plan.schema.json'));
const validateEvent = ajv.compile(await readSchema('apply-events.schema.json'));

/** The events of one run's stdout, each checked against the schema. */
function parseEvents(stdout: string): { event: string; [key: string]: unknown }[] {
  const lines = stdout.split('\n');
  expect(lines.pop()).toBe('');
  return lines.map((line) => {
    const event = JSON.parse(line) as { event: string };
    expect(validateEvent(event), `${line}\n${JSON.stringify(validateEvent.errors)}`).toBe(true);
    return event;
  });
}

describe('blat apply --json', () => {
  it('prints one schema-valid event per line: plan, a step per outcome, then the summary; resume adds its own first', async () => {
    const box = await machines.sandbox();
    try {
      await box.write('here', 'docs/a.txt', 'a from here\n', '1700001000.5');
      await box.write('here', 'docs/b b.txt', 'b\n', '1700001001');
      await box.write('m1', 'docs/c.txt', 'c from m1, a little longer\n', '1700001002');
      await machines.sshd.setOffline('m2', true);

      const first = await runBlat(['apply', '--json', '--auto-approve'], { cwd: box.dir });
      expect(first.code).toBe(2);
      const events = parseEvents(first.stdout);
      expect(events.map((e) => e.event)).toEqual(['plan', ...events.slice(1, -1).map(() => 'step'), 'summary']);
      expect(events.filter((e) => e.event === 'step').every((e) => e.status === 'done')).toBe(true);
      const summary = events.at(-1)!;
      expect(summary).toMatchObject({ failed: 0, stale: 0, exitCode: 2, remaining: [{ kind: 'unreachable', machine: 'm2' }] });
      expect(summary.files).toBe(3); // a and b to m1, c to here
      expect(summary.bytes).toBe(12 + 2 + 27);

      await machines.sshd.setOffline('m2', false);
      const resumed = await runBlat(['apply', '--resume', '--json', '--auto-approve'], { cwd: box.dir });
      expect(resumed.code).toBe(0);
      const again = parseEvents(resumed.stdout);
      expect(again[0]).toMatchObject({ event: 'resume', machines: ['m2'] });
      expect(again.at(-1)).toMatchObject({ event: 'summary', exitCode: 0, remaining: [], failed: 0 });
    } finally {
      await box.cleanup();
    }
  }, 60_000);

  it('the schema refuses what is not an event', () => {
    expect(validateEvent({ event: 'summary', done: 1 })).toBe(false);
    expect(validateEvent({ event: 'step', status: 'maybe', action: 'push', path: 'a', from: 'x', to: 'y' })).toBe(false);
    expect(validateEvent({ event: 'other' })).toBe(false);
  });
});
