// `{"path": ...}`: append one JSON line per message to the file Dagster tails
// (PipesFileMessageReader / PipesTempFileMessageReader). Each line goes out in one write(2)
// on an O_APPEND descriptor, so the reader never sees half a line followed by another message.
import { closeSync, openSync, writeSync } from 'node:fs';
import { PipesError } from '../errors.js';
import { encodeMessage } from '../message.js';
import type { PipesMessage } from '../protocol.js';
import type { PipesMessageChannel } from './channel.js';

/** Appends messages as JSON lines to a file. */
export class PipesFileMessageChannel implements PipesMessageChannel {
  private fd: number | null;

  /** Open `path` for appending; `truncate` starts it empty (the mock's --messages-file). */
  constructor(
    readonly path: string,
    options: { truncate?: boolean } = {},
  ) {
    this.fd = openSync(path, options.truncate ? 'w' : 'a');
  }

  writeMessage(message: PipesMessage): void {
    if (this.fd === null) throw new PipesError(`message file ${this.path} is already closed`);
    const bytes = Buffer.from(encodeMessage(message), 'utf8');
    let offset = 0;
    // A regular file takes the whole buffer in one call; the loop only covers exotic targets.
    while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
  }

  async close(): Promise<void> {
    this.closeSync();
  }

  closeSync(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}
