export { ExitCode } from './contracts/constants.js';

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
