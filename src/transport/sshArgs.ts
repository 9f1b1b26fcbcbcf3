import { join } from 'node:path';
import type { SshSettings } from '../types.js';

/** ssh options shared by the scan, the prechecks and rsync: batch mode, timeout, one multiplexed connection per host. */
export function buildSshOptions(settings: SshSettings, controlDir: string): string[] {
  const args: string[] = [];
  if (settings.configFile) args.push('-F', settings.configFile);
  // The user's options first: ssh keeps the first value it sees, so they can override ours.
  args.push(...settings.options);
  args.push(
    '-o', 'BatchMode=yes',
    '-o', `ConnectTimeout=${settings.connectTimeout}`,
    '-o', 'ControlMaster=auto',
    '-o', `ControlPath=${join(controlDir, '%C')}`,
    '-o', 'ControlPersist=60',
    '-o', 'ServerAliveInterval=10',
    '-o', 'ServerAliveCountMax=3',
  );
  return args;
}

/** The value of rsync's `-e`: the ssh command line with every word quoted for rsync's own splitting. */
export function buildRsyncRsh(sshOptions: readonly string[]): string {
  // rsync splits -e on whitespace but honours single and double quotes.
  return ['ssh', ...sshOptions].map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'"'"'`)}'`)).join(' ');
}
