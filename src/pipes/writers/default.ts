// The default writer picks the transport by which params key the orchestrator's reader set,
// like dagster_pipes.PipesDefaultMessageWriter.
import { PipesError } from '../errors.js';
import type { PipesParams } from '../params.js';
import { PipesBufferedStreamMessageChannel } from './buffered-stdio.js';
import type { PipesMessageChannel, PipesMessageWriter, PipesWritable } from './channel.js';
import { PipesFileMessageChannel } from './path.js';
import { PipesStreamMessageChannel } from './stdio.js';
import { PipesStdioCaptureChannel } from './stdio-capture.js';

/** Standard streams the stdio channels may target; injectable for tests. */
export interface PipesStdioTargets {
  readonly stdout: PipesWritable;
  readonly stderr: PipesWritable;
}

/** `path` (+ include_stdio_in_messages) | `stdio` | `buffered_stdio`. */
export class PipesDefaultMessageWriter implements PipesMessageWriter {
  static readonly FILE_PATH_KEY = 'path';
  static readonly STDIO_KEY = 'stdio';
  static readonly BUFFERED_STDIO_KEY = 'buffered_stdio';
  static readonly INCLUDE_STDIO_IN_MESSAGES_KEY = 'include_stdio_in_messages';

  constructor(private readonly targets: PipesStdioTargets = { stdout: process.stdout, stderr: process.stderr }) {}

  open(params: PipesParams): PipesMessageChannel {
    const W = PipesDefaultMessageWriter;
    if (W.FILE_PATH_KEY in params) {
      const path = this.stringParam(params, W.FILE_PATH_KEY);
      const channel = new PipesFileMessageChannel(path);
      return params[W.INCLUDE_STDIO_IN_MESSAGES_KEY] ? new PipesStdioCaptureChannel(channel) : channel;
    }
    if (W.STDIO_KEY in params) return new PipesStreamMessageChannel(this.stream(params, W.STDIO_KEY));
    if (W.BUFFERED_STDIO_KEY in params) return new PipesBufferedStreamMessageChannel(this.stream(params, W.BUFFERED_STDIO_KEY));
    throw new PipesError(
      `Invalid params for PipesDefaultMessageWriter: expected key "${W.FILE_PATH_KEY}", "${W.STDIO_KEY}" or "${W.BUFFERED_STDIO_KEY}", received ${JSON.stringify(params)}. The orchestration side's message reader may expect a different message writer.`,
    );
  }

  private stringParam(params: PipesParams, key: string): string {
    const value = params[key];
    if (typeof value !== 'string') {
      throw new PipesError(
        `Invalid type for parameter "${key}" passed from the orchestration side to PipesDefaultMessageWriter: expected string, got ${value === null ? 'null' : typeof value}`,
      );
    }
    return value;
  }

  private stream(params: PipesParams, key: string): PipesWritable {
    const value = this.stringParam(params, key);
    if (value !== 'stdout' && value !== 'stderr') {
      throw new PipesError(
        `Invalid value for parameter "${key}" of PipesDefaultMessageWriter: expected "stdout" or "stderr", got ${JSON.stringify(value)}`,
      );
    }
    return this.targets[value];
  }
}
