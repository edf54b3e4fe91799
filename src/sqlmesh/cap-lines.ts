import { Transform, type TransformCallback } from 'node:stream';

const NEWLINE = 0x0a;

/**
 * A byte stream in which no line is longer than `maxBytes`: the rest of a longer line is dropped
 * as it arrives (memory stays bounded whatever one line weighs) and replaced by a note saying how
 * much was cut. Runs before split2, which only splits.
 */
export function capLines(maxBytes: number): Transform {
  let lineBytes = 0;
  let cut = 0;
  const note = () => Buffer.from(` … [${cut} bytes cut: line longer than ${maxBytes} bytes]`);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      let start = 0;
      while (start < chunk.length) {
        const newline = chunk.indexOf(NEWLINE, start);
        const end = newline === -1 ? chunk.length : newline;
        const room = Math.max(0, maxBytes - lineBytes);
        const keep = Math.min(room, end - start);
        if (keep > 0) this.push(chunk.subarray(start, start + keep));
        lineBytes += keep;
        cut += end - start - keep;
        if (newline === -1) break;
        if (cut > 0) this.push(note());
        this.push(chunk.subarray(newline, newline + 1));
        lineBytes = 0;
        cut = 0;
        start = newline + 1;
      }
      callback();
    },
    flush(callback: TransformCallback) {
      if (cut > 0) this.push(note());
      callback();
    },
  });
}

/** `text` unchanged when short enough, else its head and a note of how much was cut. */
export function capText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)} … [${text.length - maxChars} characters cut]`;
}
