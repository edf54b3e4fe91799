import type { Readable } from 'node:stream';
import split2 from 'split2';
import { capLines } from './cap-lines.js';

/** Longest stdout/stderr line kept (16 KiB): the rest is cut, with a note, before splitting. */
const MAX_OUTPUT_LINE_BYTES = 16 * 1024;
/** Longest JSON console event kept (4 MiB); the console itself keeps its texts far shorter. */
export const MAX_EVENT_LINE_BYTES = 4 * 1024 * 1024;

/**
 * Split a byte stream into lines (object-mode stream of strings, without `\n` or a trailing `\r`),
 * each at most `maxBytes` long. Only splits: parsing is the parsers' job.
 */
export function splitLines(stream: Readable, maxBytes: number = MAX_OUTPUT_LINE_BYTES): Readable {
  // A string matcher splits faster than split2's default /\r?\n/; the mapper drops a trailing \r
  // (Rich and Windows tools may end lines with \r\n). capLines already bounds every line (plus
  // its note); split2's own limit is only a backstop, set to drop rather than error.
  const options = { maxLength: maxBytes * 4 + 1024, skipOverflow: true } as split2.Options;
  const splitter = split2('\n', (line: string) => (line.endsWith('\r') ? line.slice(0, -1) : line), options);
  return stream.pipe(capLines(maxBytes)).pipe(splitter);
}
