import { readCommandConfig } from './context.js';
import { buildOwedDocument, renderOwedText } from '../render/journal.js';
import { sanitizeForTerminal } from '../escape.js';
import { readOwedJournal } from '../state/journal.js';
import { wantsColor, writeJson, type CommandIO, type GlobalOptions } from './io.js';

/** `blat journal [--json]`: what is owed, per machine, oldest first. */
export async function journalCommand(flags: GlobalOptions & { json?: boolean }, io: CommandIO): Promise<number> {
  const config = await readCommandConfig(flags, io);
  const { owed, problems } = await readOwedJournal(config.stateDir);
  for (const p of problems) io.stderr(`warning: ${sanitizeForTerminal(p)}\n`);
  if (flags.json) writeJson(io, buildOwedDocument(owed), 2);
  else io.stdout(renderOwedText(owed, { color: wantsColor(io), nowMs: io.now() }));
  return 0;
}
