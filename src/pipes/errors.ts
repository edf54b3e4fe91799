// Errors of the Pipes module. One class for misuse and bad input (its message names the method or
// the params, what was expected and what arrived), one for an interruption by a signal.

/** Misuse of the Pipes API or invalid data from the orchestrator. */
export class PipesError extends Error {
  override readonly name: string = 'PipesError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The process received SIGINT/SIGTERM; sent as the `closed` exception. */
export class PipesInterruptedError extends PipesError {
  override readonly name: string = 'PipesInterruptedError';
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}
