import type { Readable } from 'node:stream';
import split2 from 'split2';

/** Longest line kept (16 MiB): a bigger one is dropped rather than held in memory. */
export const MAX_LINE_LENGTH = 16 * 1024 * 1024;

/**
 * Split a byte stream into lines (object-mode stream of strings, without `\n` or a trailing `\r`).
 * Only splits: parsing is the parsers' job.
 */
export function splitLines(stream: Readable, maxLength: number = MAX_LINE_LENGTH): Readable {
  // Rich and Windows tools may end lines with \r\n; the parsers want the bare line.
  // skipOverflow (split2 4.x, missing from its types): drop the long line instead of erroring.
  const options = { maxLength, skipOverflow: true } as split2.Options;
  // A string matcher splits faster than split2's default /\r?\n/; the mapper drops a trailing \r.
  const splitter = split2('\n', (line: string) => (line.endsWith('\r') ? line.slice(0, -1) : line), options);
  return stream.pipe(splitter);
}
