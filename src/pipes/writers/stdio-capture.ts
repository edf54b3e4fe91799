// `include_stdio_in_messages: true` on the `path` params: Dagster wants this process's stdout and
// stderr inside the message stream as `log_external_stream` messages (its handler writes the
// text to the orchestrator's own stdout/stderr). Used when the process output is not forwarded
// (e.g. PipesSubprocessClient(forward_stdio=False), remote launchers).
//
// The Python writer captures file descriptors 1 and 2 with dup2 + a `tee` process. Node cannot
// re-point its own descriptors, so we tee at the stream level instead: every write through
// process.stdout / process.stderr (console.*, stream.write) is passed through unchanged AND sent
// as a message. Output that bypasses those streams (a child spawned with inherited stdio, or
// fs.writeSync(1, …)) is not captured: pipe such a child's output and write it yourself.
import { makeMessage } from '../message.js';
import type { PipesMessage } from '../protocol.js';
import type { PipesMessageChannel } from './channel.js';

type Stream = 'stdout' | 'stderr';
type WriteFn = NodeJS.WriteStream['write'];

/** Wraps a channel and tees process.stdout/stderr into it until `closed` is written. */
export class PipesStdioCaptureChannel implements PipesMessageChannel {
  private readonly originals = new Map<Stream, WriteFn>();
  private forwarding = false;

  constructor(
    private readonly inner: PipesMessageChannel,
    private readonly streams: Record<Stream, NodeJS.WriteStream> = { stdout: process.stdout, stderr: process.stderr },
  ) {
    for (const name of ['stdout', 'stderr'] as const) this.patch(name);
  }

  writeMessage(message: PipesMessage): void {
    // Nothing may follow `closed` (Dagster warns "unexpected message received after closed").
    if (message.method === 'closed') this.restore();
    this.inner.writeMessage(message);
  }

  close(): Promise<void> {
    this.restore();
    return this.inner.close();
  }

  closeSync(): void {
    this.restore();
    this.inner.closeSync();
  }

  private patch(name: Stream): void {
    const stream = this.streams[name];
    const original = stream.write;
    this.originals.set(name, original);
    const forward = (chunk: unknown, encoding?: unknown) => this.forward(name, chunk, encoding);
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      forward(chunk, typeof rest[0] === 'string' ? rest[0] : undefined);
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as WriteFn;
  }

  private forward(stream: Stream, chunk: unknown, encoding: unknown): void {
    if (this.forwarding) return; // a write made while forwarding (e.g. a failing channel) is not re-captured
    const text =
      typeof chunk === 'string'
        ? chunk
        : chunk instanceof Uint8Array
          ? Buffer.from(chunk).toString((encoding as BufferEncoding) ?? 'utf8')
          : null;
    if (!text) return;
    this.forwarding = true;
    try {
      this.inner.writeMessage(makeMessage('log_external_stream', { stream, text, extras: {} }));
    } finally {
      this.forwarding = false;
    }
  }

  private restore(): void {
    for (const [name, original] of this.originals) this.streams[name].write = original;
    this.originals.clear();
  }
}
