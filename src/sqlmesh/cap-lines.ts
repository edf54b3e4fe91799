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
      // Chunks pass through whole unless a line overflows: no copying on the common path.
      let copyFrom = 0;
      let pos = 0;
      for (;;) {
        const newline = chunk.indexOf(NEWLINE, pos);
        const end = newline === -1 ? chunk.length : newline;
        const length = end - pos;
        if (cut === 0 && lineBytes + length <= maxBytes) {
          lineBytes += length;
        } else {
          const keep = Math.min(length, Math.max(0, maxBytes - lineBytes));
          if (pos + keep > copyFrom) this.push(chunk.subarray(copyFrom, pos + keep));
          lineBytes += keep;
          cut += length - keep;
          copyFrom = end;
        }
        if (newline === -1) break;
        if (cut > 0) {
          this.push(note());
          copyFrom = newline;
        }
        lineBytes = 0;
        cut = 0;
        pos = newline + 1;
      }
      if (copyFrom < chunk.length) this.push(copyFrom === 0 ? chunk : chunk.subarray(copyFrom));
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
