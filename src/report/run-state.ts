import type { EventOf, NodeKind, SqlmeshEvent } from '../contracts/console-events.js';

/** What one DAG node (model, external model, standalone audit) did in this run, from events. */
export interface ModelRun {
  readonly model: string;
  /** What the node is (the text console cannot tell: 'model'). */
  node: NodeKind;
  /** Batches SQLMesh planned for it (null when the console did not say). */
  planned: number | null;
  /** Batches SQLMesh evaluated and committed. */
  readonly batches: EventOf<'batch_evaluated'>[];
  readonly warnings: EventOf<'audit_warning'>[];
  /** One per failed batch, in the order SQLMesh reported them. */
  readonly failures: EventOf<'model_failed'>[];
  skipped: boolean;
  /** SQLMesh's snapshot identifier of what it evaluated (JSON console only). */
  fingerprint: string | null;
  /** Why the text console could not vouch for its batch lines (text console only). */
  unverified: string | null;
}

/** Everything known about the run so far. */
export interface RunState {
  readonly models: Map<string, ModelRun>;
  started: EventOf<'run_started'> | null;
  /** Snapshot identifiers of the environment's nodes by FQN (JSON console only). */
  environment: EventOf<'environment_snapshots'> | null;
  nothingToDo: EventOf<'nothing_to_do'> | null;
  finished: EventOf<'run_finished'> | null;
}

/** A fresh, empty run state. */
export function createRunState(): RunState {
  return { models: new Map(), started: null, environment: null, nothingToDo: null, finished: null };
}

/** The state of `model`, created on first use. */
function modelRun(state: RunState, model: string): ModelRun {
  let run = state.models.get(model);
  if (!run) {
    run = {
      model,
      node: 'model',
      planned: null,
      batches: [],
      warnings: [],
      failures: [],
      skipped: false,
      fingerprint: null,
      unverified: null,
    };
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
    case 'environment_snapshots':
      state.environment = event;
      return null;
    case 'evaluation_started':
      for (const [model, count] of Object.entries(event.batches)) modelRun(state, model).planned = count;
      for (const [model, fingerprint] of Object.entries(event.fingerprints ?? {})) modelRun(state, model).fingerprint = fingerprint;
      return null;
    case 'batch_started': {
      const run = modelRun(state, event.model);
      if (event.node) run.node = event.node;
      return event.model;
    }
    case 'batch_evaluated': {
      const run = modelRun(state, event.model);
      if (event.node) run.node = event.node;
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
      if (event.node) run.node = event.node;
      // A batch fails once; a repeated report of the same batch adds nothing.
      const known = event.batch_index !== null && run.failures.some((failure) => failure.batch_index === event.batch_index);
      if (!known) run.failures.push(event);
      return event.model;
    }
    case 'models_skipped':
      for (const model of event.models) modelRun(state, model).skipped = true;
      return null;
    case 'batches_unverified':
      for (const [model, why] of Object.entries(event.models)) modelRun(state, model).unverified = why;
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

/** True once every planned batch of the node has an outcome: nothing about it can change any more. */
export function isComplete(run: ModelRun): boolean {
  return !run.skipped && run.planned !== null && run.planned > 0 && run.batches.length + run.failures.length >= run.planned;
}

/**
 * True when SQLMesh committed at least one batch of the model in this run: its table changed,
 * whether or not a later batch failed (then it is also `isPartial`).
 */
export function isMaterialized(run: ModelRun): boolean {
  return run.batches.length > 0;
}

/** Some batches committed, and at least one failed or was skipped: the table changed, incompletely. */
export function isPartial(run: ModelRun): boolean {
  return run.batches.length > 0 && (run.failures.length > 0 || run.skipped);
}

/** Time SQLMesh spent on the model's successful batches. */
export function evaluationMs(run: ModelRun): number {
  return run.batches.reduce((sum, batch) => sum + batch.duration_ms, 0);
}
