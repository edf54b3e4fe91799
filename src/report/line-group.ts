/**
 * Lines sent together: the first line added starts a window of `windowMs`; at its end (or at an
 * explicit `flush`) every line of the window goes out as one text, in order.
 *
 * Dagster writes each Pipes log message as one event-log entry (about 20 ms on a sqlite home), in
 * the same thread that records the results: one message per batch of a 1000-model run is 1000
 * writes competing with SQLMesh for the CPU. A window of a second keeps the log live.
 */
export class LineGroup {
  readonly #send: (text: string) => void;
  readonly #windowMs: number;
  #lines: string[] = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(send: (text: string) => void, windowMs: number) {
    this.#send = send;
    this.#windowMs = windowMs;
  }

  /** Add a line to the current window (opening one if none is open). */
  add(line: string): void {
    this.#lines.push(line);
    if (this.#timer === null) {
      this.#timer = setTimeout(() => this.flush(), this.#windowMs);
      // A pending window must not keep the process alive: `flush` runs at close anyway.
      this.#timer.unref();
    }
  }

  /** Send the lines of the open window now, as one text; nothing when none is waiting. */
  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#lines.length === 0) return;
    const text = this.#lines.join('\n');
    this.#lines = [];
    this.#send(text);
  }
}
