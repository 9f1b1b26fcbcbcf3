import { describe, expect, it } from 'vitest';
import { applyProbedDefaults } from '../../src/config/probedDefaults.js';
import type { Config, MachineConfig, MachineStateRecord, RootProbe } from '../../src/types.js';

const machine = (name: string, extra: Partial<MachineConfig> = {}): MachineConfig => ({ name, transport: 'local', root: `/${name}`, aliases: [], ...extra });
const config = (machines: MachineConfig[], modifyWindow = 0): Config => ({ machines, modifyWindow, digest: 'd' }) as unknown as Config;
const fat: Omit<RootProbe, 'root'> = { probedMs: 1, caseInsensitive: true, normalizes: false, mtimeWindow: 2, chmod: false, fixedModes: { file: 0o700, dir: 0o700 } };
const state = (name: string, probe: Omit<RootProbe, 'root'>, root = `/${name}`): MachineStateRecord => ({ name, state: 'online', probe: { ...probe, root } });

describe('applyProbedDefaults', () => {
  it('a FAT root: a 2 s window and perms ignore with its modes; other machines unchanged', () => {
    const out = applyProbedDefaults(config([machine('a'), machine('usb')]), [state('a', { ...fat, caseInsensitive: false, mtimeWindow: 0, chmod: true, fixedModes: undefined }), state('usb', fat)]);
    expect(out.machines[0]).toEqual(machine('a'));
    expect(out.machines[1]).toEqual({ ...machine('usb'), modifyWindow: 2, perms: 'ignore', fixedModes: { file: 0o700, dir: 0o700 }, folding: { case: true } });
    expect(out.digest).toBe('d');
  });
  it('declared values win: modifyWindow, perms keep, a larger top-level window', () => {
    const declared = applyProbedDefaults(config([machine('usb', { modifyWindow: 0, perms: 'keep' })]), [state('usb', fat)]);
    expect(declared.machines[0]).toEqual(machine('usb', { modifyWindow: 0, perms: 'keep', folding: { case: true } }));
    const wide = applyProbedDefaults(config([machine('usb')], 3), [state('usb', fat)]);
    expect(wide.machines[0].modifyWindow).toBeUndefined();
  });
  it('a declared perms: ignore where chmod does not work gets the modes the filesystem shows too', () => {
    const out = applyProbedDefaults(config([machine('usb', { perms: 'ignore' })]), [state('usb', fat)]);
    expect(out.machines[0]).toMatchObject({ perms: 'ignore', fixedModes: { file: 0o700, dir: 0o700 } });
  });
  it('an exFAT root, which holds no symlinks and refuses some names: the machine says so (symlinks: false, refusedNames)', () => {
    const out = applyProbedDefaults(config([machine('usb')]), [state('usb', { ...fat, mtimeWindow: 1, fixedModes: { file: 0o777, dir: 0o777 }, symlinks: false, refusedNames: { chars: ':?' } })]);
    expect(out.machines[0]).toMatchObject({ modifyWindow: 1, perms: 'ignore', symlinks: false, refusedNames: { chars: ':?' } });
  });
  it('a probe of another root (the root changed since) counts for nothing', () => {
    const c = config([machine('usb')]);
    expect(applyProbedDefaults(c, [state('usb', fat, '/old')])).toBe(c);
  });
});
