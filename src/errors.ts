export { ExitCode } from './contracts/constants.js';

/** Base of every error sqlmesh-pipes throws (the Pipes module has its own base, PipesError). */
export class SqlmeshPipesError extends Error {
  override readonly name: string = 'SqlmeshPipesError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A problem the user fixes in their input, project or configuration (a missing project, a python
 * without sqlmesh, an invalid manifest or cron). Its message is one line naming the problem and
 * the fix; the CLI prints it without a stack and exits 2. What the library layers throw.
 */
export class ConfigurationError extends SqlmeshPipesError {
  override readonly name: string = 'ConfigurationError';
}

/** A bad command line (flag, value, combination): the CLI's own kind of ConfigurationError. */
export class UsageError extends ConfigurationError {
  override readonly name: string = 'UsageError';
}
