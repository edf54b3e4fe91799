import type { PipesContext } from '../pipes/context.js';
import type { Reporter } from '../report/reporter.js';
import { SqlmeshRunError, type SqlmeshRunResult } from '../sqlmesh/process.js';

/**
 * A run SQLMesh itself calls failed (non-zero exit, `run_finished` failed) for which no event the
 * executor could read says why: still a failure, with SQLMesh's last error lines. Null otherwise.
 */
function unexplainedFailure(result: SqlmeshRunResult, reporter: Reporter): string | null {
  if (result.isCanceled || reporter.hasFailure || (result.status !== 'failed' && !result.failed)) return null;
  const lines = result.errorLines.filter((line) => line !== 'Run failed.').slice(-5);
  return `SQLMesh reported a failed run (exit code ${String(result.exitCode)}) but no model failure the executor could read${lines.length > 0 ? `:\n${lines.join('\n')}` : ' — see its output above'}`;
}

/**
 * Wait for SQLMesh's end and say what failed the run as a whole, or null: an interruption, a crash
 * (SQLMesh could not start, died, was killed), or a failure SQLMesh reported without a reason.
 * Model failures are not run errors: the reporter already has them.
 */
export async function runError(result: Promise<SqlmeshRunResult>, pipes: PipesContext, reporter: Reporter): Promise<string | null> {
  const ended = await result.then(
    (result) => ({ result, crash: null }),
    (error: unknown) => {
      if (error instanceof SqlmeshRunError) return { result: error.result, crash: error.message };
      throw error;
    },
  );
  if (pipes.termination.reason) return `interrupted by ${pipes.termination.reason}: SQLMesh was stopped`;
  return ended.crash ?? unexplainedFailure(ended.result, reporter);
}
