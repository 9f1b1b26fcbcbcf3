// Paths of the external programs the real-parts harness starts.

/** sshd must be started by absolute path (it re-executes itself). */
export const SSHD_PATH = '/usr/sbin/sshd';
