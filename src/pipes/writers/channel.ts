// The two transport abstractions: a writer turns the orchestrator's message params into a
// channel; a channel only writes messages and flushes on close.
import type { PipesParams } from '../params.js';
import type { PipesExtras, PipesMessage } from '../protocol.js';

/** Writes messages back to the orchestrator. */
export interface PipesMessageChannel {
  /** Write one message; whole line, in order. */
  writeMessage(message: PipesMessage): void;
  /** Flush and release the channel; resolves once the bytes are handed to the OS. */
  close(): Promise<void>;
  /** Best-effort synchronous close, for process `exit` handlers where nothing async runs. */
  closeSync(): void;
}

/** Opens a channel from the message params the orchestrator's reader chose. */
export interface PipesMessageWriter {
  /** Open the channel described by `params`. */
  open(params: PipesParams): PipesMessageChannel;
  /** Extras sent in the `opened` message. */
  openedExtras?(): PipesExtras;
}

/** A stream the stdio channels can write to (process.stdout, process.stderr, a PassThrough). */
export interface PipesWritable {
  write(chunk: string, callback?: (error?: Error | null) => void): boolean;
}

/** Resolve once everything written to `stream` so far is flushed. */
export function flushStream(stream: PipesWritable): Promise<void> {
  return new Promise((resolve) => {
    // An empty write's callback runs after the writes queued before it; errors (EPIPE) end it too.
    stream.write('', () => resolve());
  });
}
