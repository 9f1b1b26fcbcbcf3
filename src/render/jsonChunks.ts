// JSON text in pieces: a plan of millions of steps is more than one string can hold (V8: 512 MiB).

/** Arrays longer than this are rendered element by element; shorter values by one JSON.stringify. */
const ELEMENTWISE_MIN = 256;
/** Objects at a depth below this are rendered key by key (a document, or an event holding one). */
const KEYWISE_DEPTH = 2;
/** Pieces are joined up to about this many characters before they are handed out. */
const CHUNK_CHARS = 1 << 20;

/** Where the pieces go: gathered in `parts` until they hold about CHUNK_CHARS, then joined into one of `chunks` (flat strings, not a tree of concatenations). */
interface Sink {
  readonly parts: string[];
  length: number;
  readonly chunks: string[];
}

function add(sink: Sink, piece: string): void {
  sink.parts.push(piece);
  sink.length += piece.length;
  if (sink.length >= CHUNK_CHARS) flush(sink);
}

function flush(sink: Sink): void {
  if (sink.parts.length > 0) sink.chunks.push(sink.parts.join(''));
  sink.parts.length = 0;
  sink.length = 0;
}

/**
 * The text JSON.stringify(value, null, indent) makes, in pieces of about a megabyte: long arrays
 * element by element, the top objects key by key, so that no one string holds it all. For plain
 * JSON data (no toJSON, no cycles).
 */
export function renderJsonChunks(value: unknown, indent = 0): string[] {
  const sink: Sink = { parts: [], length: 0, chunks: [] };
  addPieces(sink, value, indent, '', 0);
  flush(sink);
  return sink.chunks;
}

/** Adds the pieces of `value` at nesting `pad` (its indentation) and `depth`. */
function addPieces(sink: Sink, value: unknown, indent: number, pad: string, depth: number): void {
  const inner = indent > 0 ? pad + ' '.repeat(indent) : '';
  const nl = indent > 0 ? '\n' : '';
  if (Array.isArray(value) && value.length >= ELEMENTWISE_MIN) {
    add(sink, '[');
    for (let i = 0; i < value.length; i++) {
      const before = `${i === 0 ? '' : ','}${nl}${inner}`;
      // In an array, what JSON has no word for is null.
      const v: unknown = value[i];
      const element = v === undefined || typeof v === 'function' || typeof v === 'symbol' ? null : v;
      if (isWhole(element, depth + 1)) add(sink, before + renderWhole(element, indent, inner));
      else {
        add(sink, before);
        addPieces(sink, element, indent, inner, depth + 1);
      }
    }
    add(sink, `${nl}${pad}]`);
    return;
  }
  if (!isWhole(value, depth)) {
    // In an object, a key whose value JSON has no word for is left out.
    const entries = Object.entries(value as object).filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol');
    if (entries.length === 0) {
      add(sink, '{}');
      return;
    }
    add(sink, '{');
    for (let i = 0; i < entries.length; i++) {
      add(sink, `${i === 0 ? '' : ','}${nl}${inner}${JSON.stringify(entries[i][0])}${indent > 0 ? ': ' : ':'}`);
      addPieces(sink, entries[i][1], indent, inner, depth + 1);
    }
    add(sink, `${nl}${pad}}`);
    return;
  }
  add(sink, renderWhole(value, indent, pad));
}

/** Whether addPieces gives `value` (at `depth`) as one piece: not a long array, not an object near the top. */
function isWhole(value: unknown, depth: number): boolean {
  if (Array.isArray(value)) return value.length < ELEMENTWISE_MIN;
  return value === null || typeof value !== 'object' || depth >= KEYWISE_DEPTH;
}

/** `value` by one JSON.stringify, its lines after the first indented by `pad`. */
function renderWhole(value: unknown, indent: number, pad: string): string {
  const text = JSON.stringify(value, null, indent) ?? 'null';
  return pad === '' ? text : text.replaceAll('\n', `\n${pad}`);
}

/** JSON.stringify(value, null, indent) and a newline, as UTF-8 bytes made from renderJsonChunks' pieces (a Buffer may hold more than a string). */
export function renderJsonBytes(value: unknown, indent = 0): Buffer {
  return Buffer.concat([...renderJsonChunks(value, indent), '\n'].map((piece) => Buffer.from(piece, 'utf8')));
}
