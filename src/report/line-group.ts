/**
 * Log lines sent together: the first line starts a window of `windowMs`; at its end, at a line of
 * another level, at a line that would make the text longer than `maxChars`, or at an explicit
 * `flush`, the window's lines go out as one text, in order.
 *
 * Dagster writes each Pipes log message as one event-log entry (20–30 ms each on a sqlite home),
 * in the same process that records the results: one message per evaluated batch, or per line
 * SQLMesh prints, is a write per line competing with SQLMesh for the CPU. A window of a second
 * keeps the log live.
 */
export class LineGroup<Level extends string> {
  readonly #send: (level: Level, text: string) => void;
  readonly #windowMs: number;
  readonly #maxChars: number;
  #chars = 0;
  #level: Level | null = null;
  #lines: string[] = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(send: (level: Level, text: string) => void, windowMs: number, maxChars = Number.POSITIVE_INFINITY) {
    this.#send = send;
    this.#windowMs = windowMs;
    this.#maxChars = maxChars;
  }

  /** Add a line to the open window (after sending it first if its level differs). */
  add(level: Level, line: string): void {
    if (this.#level !== level || this.#chars + 1 + line.length > this.#maxChars) this.flush();
    this.#level = level;
    this.#lines.push(line);
    this.#chars += (this.#lines.length > 1 ? 1 : 0) + line.length;
    if (this.#timer === null) {
      this.#timer = setTimeout(() => this.flush(), this.#windowMs);
      // A pending window must not keep the process alive: the Pipes context flushes it on close.
      this.#timer.unref();
    }
  }

  /** Send the lines of the open window now, as one text; nothing when none is waiting. */
  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const level = this.#level;
    const text = this.#lines.join('\n');
    this.#lines = [];
    this.#chars = 0;
    this.#level = null;
    if (level !== null && text !== '') this.#send(level, text);
  }
}
