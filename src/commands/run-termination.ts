import { setTimeout as delay } from 'node:timers/promises';
import type { PipesContext } from '../pipes/context.js';
import type { SqlmeshInvocation } from '../sqlmesh/process.js';

/** The termination hook of one run; call `reported()` once everything SQLMesh finished is reported. */
export interface RunTermination {
  reported(): void;
  unregister(): void;
}

/**
 * On SIGINT/SIGTERM: stop SQLMesh, wait until the run reported what finished, and only then let
 * Pipes close. Python only sees the signal between bytecodes, so a long engine query (DuckDB)
 * ignores it; Dagster kills the executor after its termination timeout, so SQLMesh is killed
 * (SIGKILL) after `graceMs`, well before that.
 */
export function stopOnTermination(pipes: PipesContext, invocation: SqlmeshInvocation, graceMs: number): RunTermination {
  let done!: () => void;
  const reported = new Promise<void>((resolve) => {
    done = resolve;
  });
  const unregister = pipes.termination.onTerminate(async (signal) => {
    invocation.kill(signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
    const stopped = await Promise.race([reported.then(() => true), delay(graceMs, false, { ref: false })]);
    if (!stopped) {
      pipes.log.warning(`SQLMesh did not stop within ${graceMs / 1000}s of ${signal}: killing it (SIGKILL)`);
      invocation.kill('SIGKILL');
      await reported;
    }
  });
  return { reported: done, unregister };
}
