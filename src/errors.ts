/** Process exit codes of the CLI (design note): one map, used everywhere. */
export const ExitCode = {
  /** Success, or nothing was due. */
  ok: 0,
  /** A model or a blocking audit failed. */
  failed: 1,
  /** Usage or configuration error (bad flag, missing project, no sqlmesh in the given python). */
  usage: 2,
  // SIGINT/SIGTERM exit with 128 + the signal number (130, 143): src/pipes/signals.ts.
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * A problem the user fixes by changing input or configuration. Its message is one line naming
 * the problem and the fix; the CLI prints it without a stack and exits 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
