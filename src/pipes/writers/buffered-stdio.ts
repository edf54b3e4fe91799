// `{"buffered_stdio": "stdout"|"stderr"}`: keep every message and write them all on close, for
// readers that only scan the output after the process ends.
import { encodeMessage } from '../message.js';
import type { PipesMessage } from '../protocol.js';
import { flushStream, type PipesMessageChannel, type PipesWritable } from './channel.js';

/** Buffers messages and writes them as lines when closed. */
export class PipesBufferedStreamMessageChannel implements PipesMessageChannel {
  private buffer: string[] = [];

  constructor(private readonly stream: PipesWritable) {}

  writeMessage(message: PipesMessage): void {
    // Encode now so a message is checked (and fails) where it is reported, not at close.
    this.buffer.push(encodeMessage(message));
  }

  close(): Promise<void> {
    this.flush();
    return flushStream(this.stream);
  }

  closeSync(): void {
    this.flush();
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    this.stream.write(this.buffer.join(''));
    this.buffer = [];
  }
}
