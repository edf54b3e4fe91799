// `{"stdio": "stdout"|"stderr"}`: one JSON line per message on a standard stream, for readers that
// pick Pipes lines out of the process output (lines carrying `__dagster_pipes_version`) and
// forward every other line as a log. The whole line goes out in one write() so it is never
// interleaved with other output written through the same stream.
import { encodeMessage } from '../message.js';
import type { PipesMessage } from '../protocol.js';
import { flushStream, type PipesMessageChannel, type PipesWritable } from './channel.js';

/** Writes each message immediately as a line on a stream. */
export class PipesStreamMessageChannel implements PipesMessageChannel {
  constructor(private readonly stream: PipesWritable) {}

  writeMessage(message: PipesMessage): void {
    this.stream.write(encodeMessage(message));
  }

  close(): Promise<void> {
    return flushStream(this.stream);
  }

  closeSync(): void {
    // Nothing buffered here; process.stdout/stderr writes to pipes and files are synchronous on Linux.
  }
}
