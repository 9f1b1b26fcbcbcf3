// Turning ssh's complaints into the short reasons shown for offline machines.

const REASONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/timed out/i, 'timeout'],
  [/connection refused/i, 'refused'],
  [/host key verification failed|remote host identification has changed|no .*host key is known/i, 'host key'],
  [/permission denied|too many authentication failures/i, 'auth'],
  [/could not resolve hostname|name or service not known|nodename nor servname/i, 'unknown host'],
  [/no route to host|network is unreachable/i, 'unreachable'],
  [/connection (reset|closed)|broken pipe/i, 'connection lost'],
];

/** A short reason ("timeout", "refused", "host key", "auth", …) for an ssh failure, from its stderr. */
export function classifySshFailure(stderr: string): string {
  for (const [pattern, reason] of REASONS) if (pattern.test(stderr)) return reason;
  const first = stderr.split('\n').map((l) => l.trim()).find((l) => l.length > 0);
  return first ? first.slice(0, 200) : 'ssh failed';
}
