import type { EventOf, SqlmeshEvent } from '../sqlmesh/events.js';

/** What one model did in this run, accumulated from events. */
export interface ModelRun {
  readonly model: string;
  /** Batches SQLMesh planned for it (null when the console did not say). */
  planned: number | null;
  readonly batches: EventOf<'batch_evaluated'>[];
  readonly warnings: EventOf<'audit_warning'>[];
  failure: EventOf<'model_failed'> | null;
  skipped: boolean;
}

/** Everything known about the run so far. */
export interface RunState {
  readonly models: Map<string, ModelRun>;
  started: EventOf<'run_started'> | null;
  nothingToDo: EventOf<'nothing_to_do'> | null;
  finished: EventOf<'run_finished'> | null;
}

/** A fresh, empty run state. */
export function createRunState(): RunState {
  return { models: new Map(), started: null, nothingToDo: null, finished: null };
}

/** The state of `model`, created on first use. */
export function modelRun(state: RunState, model: string): ModelRun {
  let run = state.models.get(model);
  if (!run) {
    run = { model, planned: null, batches: [], warnings: [], failure: null, skipped: false };
    state.models.set(model, run);
  }
  return run;
}

/** Fold one event into the state; returns the model it concerns, if any. */
export function applyEvent(state: RunState, event: SqlmeshEvent): string | null {
  switch (event.type) {
    case 'run_started':
      state.started = event;
      return null;
    case 'evaluation_started':
      for (const [model, count] of Object.entries(event.batches)) modelRun(state, model).planned = count;
      return null;
    case 'batch_started':
      modelRun(state, event.model);
      return event.model;
    case 'batch_evaluated': {
      const run = modelRun(state, event.model);
      run.batches.push(event);
      // The text console only learns the batch count from each progress line.
      if (run.planned === null && event.batch_count !== null) run.planned = event.batch_count;
      return event.model;
    }
    case 'audit_warning':
      modelRun(state, event.model).warnings.push(event);
      return event.model;
    case 'model_failed': {
      const run = modelRun(state, event.model);
      // Several failed batches of one model: keep the first, it is the one SQLMesh reports first.
      run.failure ??= event;
      return event.model;
    }
    case 'models_skipped':
      for (const model of event.models) modelRun(state, model).skipped = true;
      return null;
    case 'nothing_to_do':
      state.nothingToDo = event;
      return null;
    case 'run_finished':
      state.finished = event;
      return null;
    case 'evaluation_finished':
    case 'log':
      return null;
    default:
      return event satisfies never;
  }
}

/** True once every planned batch of the model succeeded: it can no longer fail in this run. */
export function isComplete(run: ModelRun): boolean {
  return run.failure === null && !run.skipped && run.planned !== null && run.batches.length >= run.planned && run.planned > 0;
}

/** True when the model was evaluated successfully in this run (some batches, no failure, not skipped). */
export function isMaterialized(run: ModelRun): boolean {
  return run.failure === null && !run.skipped && run.batches.length > 0;
}

/** Time SQLMesh spent on the model's successful batches. */
export function evaluationMs(run: ModelRun): number {
  return run.batches.reduce((sum, batch) => sum + batch.duration_ms, 0);
}
