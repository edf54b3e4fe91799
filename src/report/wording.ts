import type { EventOf, SqlmeshEvent } from '../contracts/console-events.js';
import type { ManifestDrift } from '../contracts/run-summary.js';
import { seconds } from './result-metadata.js';
import type { ModelRun } from './run-state.js';

// How the executor words what happened: the live log lines and every model's outcome reason.
// The Dagster side shows these words (the run summary's `reason`); it never words an outcome itself.

/** What the text console does with batch lines it cannot vouch for, and the way out. */
const UNVERIFIED =
  "not recorded as evaluated — a model's own output can look like SQLMesh's batch lines; the JSON console (--console json) reports exactly";

/** The live log line for an event worth telling Dagster about while the run goes on, or null. */
export function liveLog(event: SqlmeshEvent): { message: string; level: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' } | null {
  switch (event.type) {
    case 'run_started':
      return { level: 'INFO', message: runStartedText(event) };
    case 'evaluation_started': {
      const total = Object.values(event.batches).reduce((a, b) => a + b, 0);
      return { level: 'INFO', message: `SQLMesh will evaluate ${total} batch(es) of ${Object.keys(event.batches).length} model(s)` };
    }
    case 'batch_evaluated':
      return { level: 'INFO', message: batchText(event) };
    case 'audit_warning': {
      const where = event.batch_index === null || event.batch_index === undefined ? '' : ` in batch ${event.batch_index + 1}`;
      return {
        level: 'WARNING',
        message: `${event.model}: non-blocking audit ${event.failure.audit} failed${where}${rowsText(event.failure.failed_rows)}`,
      };
    }
    case 'model_failed': {
      const where =
        event.batch_index === null
          ? ''
          : ` (batch ${event.batch_index + 1}${event.interval ? ` [${event.interval[0]}, ${event.interval[1]})` : ''})`;
      return { level: 'ERROR', message: `${event.model} failed${where}: ${failureText(event)}` };
    }
    case 'models_skipped':
      return { level: 'WARNING', message: `skipped because an upstream model failed: ${event.models.join(', ')}` };
    case 'batches_unverified':
      return {
        level: 'WARNING',
        message: Object.entries(event.models)
          .map(([model, why]) => `${model}: ${why}: ${UNVERIFIED}`)
          .join('\n'),
      };
    case 'nothing_to_do':
      return { level: 'INFO', message: event.message };
    case 'log':
      return { level: event.level === 'CRITICAL' ? 'ERROR' : event.level, message: event.message };
    case 'batch_started':
    case 'environment_snapshots':
    case 'evaluation_finished':
    case 'run_finished':
      return null;
    default:
      return event satisfies never;
  }
}

/** SQLMesh's failure as it would print it: `ConversionException: Could not convert ...`. */
export function failureText(failure: Pick<EventOf<'model_failed'>, 'error_class' | 'message'>): string {
  return failure.error_class ? `${failure.error_class}: ${failure.message}` : failure.message;
}

function runStartedText(event: EventOf<'run_started'>): string {
  const selection = event.selected_models?.length ? ` for ${event.selected_models.length} selected model(s)` : '';
  return `sqlmesh run in environment '${event.environment}'${selection}${event.sqlmesh_version ? ` (SQLMesh ${event.sqlmesh_version})` : ''}`;
}

function rowsText(rows: number | null): string {
  return rows === null ? '' : `: ${rows} row(s)`;
}

/** `shop.orders: batch 2/3 [2024-01-01T00:00:00Z, 2024-01-02T00:00:00Z) in 1.20s, audits ✔2 ✘0`. */
function batchText(event: EventOf<'batch_evaluated'>): string {
  const of = event.batch_count === null ? `${event.batch_index + 1}` : `${event.batch_index + 1}/${event.batch_count}`;
  const interval = event.interval ? ` [${event.interval[0]}, ${event.interval[1]})` : '';
  const what = event.annotation ? ` ${event.annotation}` : '';
  return `${event.model}: batch ${of}${interval}${what} in ${seconds(event.duration_ms).toFixed(2)}s, audits passed ${event.audits_passed}, failed ${event.audits_failed}`;
}

/** The fix for a manifest that does not match SQLMesh. */
export const REGENERATE = 'regenerate the manifest (sqlmesh-pipes manifest --project DIR --out FILE) and reload the code location';

/** `batch 2 [2024-01-02T00:00:00Z, 2024-01-03T00:00:00Z)`, or `a batch` when SQLMesh did not say. */
function batchLabel(index: number | null, interval: readonly [string, string] | null): string {
  const which = index === null ? 'a batch' : `batch ${index + 1}`;
  return interval ? `${which} [${interval[0]}, ${interval[1]})` : which;
}

/** The stale-manifest warning: what differs and the fix. */
export function driftText(drift: ManifestDrift): string {
  const parts: string[] = [];
  if (drift.unknown_models.length > 0) {
    parts.push(
      `SQLMesh evaluated ${drift.unknown_models.length} model(s) the manifest does not know (not recorded in Dagster): ${drift.unknown_models.join(', ')}`,
    );
  }
  if (drift.changed_models.length > 0) {
    parts.push(
      `${drift.changed_models.length} model(s) in this step are defined differently in SQLMesh's environment than in the manifest: ${drift.changed_models.join(', ')}`,
    );
  }
  return `The manifest is stale. ${parts.join('; ')} — ${REGENERATE}; if the project changed since the last plan, apply it (sqlmesh plan).`;
}

// --- why a model in scope was not (or only partly) materialized: the run summary's `reason` ---

/** Some batches committed, others failed or were skipped. */
export function partialReason(run: ModelRun): string {
  const failures = run.failures.map((failure) => `${batchLabel(failure.batch_index, failure.interval)} failed: ${failureText(failure)}`);
  const committed = `${run.batches.length} batch(es) committed`;
  return failures.length > 0
    ? `${committed}; ${failures.join('; ')}`
    : `${committed}; the rest skipped by SQLMesh because an upstream batch failed`;
}

/** SQLMesh's own error text: one failure as is, several one per line with their batch. */
export function failedReason(run: ModelRun): string {
  if (run.failures.length === 1) return failureText(run.failures[0]!);
  return run.failures.map((failure) => `${batchLabel(failure.batch_index, failure.interval)}: ${failureText(failure)}`).join('\n');
}

export const SKIPPED_REASON = 'skipped by SQLMesh because an upstream model failed';

/** The text console saw batch lines for it that SQLMesh's end state does not vouch for. */
export function unverifiedReason(why: string): string {
  return `${why}: ${UNVERIFIED}`;
}

/** The run failed as a whole (or was interrupted) before SQLMesh got to the model. */
export function notRunReason(runError: string): string {
  return `not evaluated: ${runError}`;
}

/** Nothing of the model was due; `nothingToDo` is SQLMesh's own "nothing to do" report, if any. */
export function notDueReason(nothingToDo: EventOf<'nothing_to_do'> | null): string {
  if (!nothingToDo) return 'no interval was due in this run (cron not elapsed or already up to date)';
  const next = nothingToDo.next_ready_at;
  return `no interval was due in this run${next ? ` (SQLMesh: next run ready at ${next})` : ''}`;
}

/** A model whose checks are selected without its asset. */
export function checkOnlyWarning(model: string): string {
  return `${model}: checks selected without the asset — not evaluated: the text console runs audits only while SQLMesh evaluates the model; use the JSON console or select the asset to run its audits`;
}

/** Models whose checks are selected without their asset: audited in place, never evaluated. */
export function auditOnlyNote(models: readonly string[]): string {
  return `checks without their asset: SQLMesh audits ${models.join(', ')} in place, over the intervals the environment holds — no model is evaluated, no table changes`;
}

/** A standalone audit whose check is selected in a run of part of the project. */
export function unrunnableAuditWarning(audit: string): string {
  return `standalone audit ${audit}: not evaluated — SQLMesh runs standalone audits only in a run of the whole project, not with --select-model; materialize every SQLMesh asset to run it`;
}

/** The run is a restatement plan: what SQLMesh is asked to process again. */
export function restatementNote(models: readonly string[], start: string | null, end: string | null): string {
  const window = start !== null && end !== null ? ` from ${start} to ${end}` : ' over their whole history';
  return `restating ${models.join(', ')}${window} with SQLMesh's restatement plan (sqlmesh plan --restate-model): their intervals and those of their downstream models are processed again, with the code the environment runs`;
}
