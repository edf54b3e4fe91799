import type { EventOf, SqlmeshEvent } from '../contracts/console-events.js';
import type { ManifestAudit, ManifestModel } from '../contracts/manifest.js';
import type { AuditOutcome } from './audits.js';
import { type MetadataMap, md } from './metadata.js';
import { evaluationMs, isPartial, type ModelRun } from './run-state.js';

/** What the text console does with batch lines it cannot vouch for, and the way out. */
export const UNVERIFIED =
  "not recorded as evaluated — a model's own output can look like SQLMesh's batch lines; the JSON console (--console json) reports exactly";

/** A check result to report for one audit use. */
export interface CheckIntent {
  readonly passed: boolean;
  readonly severity: 'ERROR' | 'WARN';
  readonly metadata: MetadataMap;
}

const seconds = (ms: number) => Math.round(ms) / 1000;

/**
 * Metadata of a model SQLMesh committed batches of: what ran, how long, how much — and, when some
 * batches failed or were skipped, `sqlmesh/partial` with the intervals that did not commit.
 */
export function materializationMetadata(run: ModelRun, model: ManifestModel | undefined): MetadataMap {
  const intervals = run.batches.flatMap((batch) => (batch.interval ? [batch.interval] : []));
  const durationMs = evaluationMs(run);
  const metadata: MetadataMap = {
    'sqlmesh/batches': md.int(run.batches.length),
    'sqlmesh/duration_s': md.float(seconds(durationMs)),
  };
  if (isPartial(run)) {
    metadata['sqlmesh/partial'] = md.bool(true);
    metadata['sqlmesh/batches_failed'] = md.int(run.failures.length);
    const failed = run.failures.flatMap((failure) => (failure.interval ? [failure.interval] : []));
    if (failed.length > 0) metadata['sqlmesh/failed_intervals'] = md.json(failed);
  }
  if (intervals.length > 0) {
    metadata['sqlmesh/intervals'] = md.json(intervals);
    metadata['sqlmesh/interval_start'] = md.text(intervals.map(([start]) => start).sort()[0]!);
    metadata['sqlmesh/interval_end'] = md.text(
      intervals
        .map(([, end]) => end)
        .sort()
        .at(-1)!,
    );
  }
  const annotations = [...new Set(run.batches.flatMap((batch) => (batch.annotation ? [batch.annotation] : [])))];
  if (annotations.length > 0) metadata['sqlmesh/evaluation'] = md.text(annotations.join('; '));
  if (model) {
    metadata['sqlmesh/kind'] = md.text(model.kind);
    metadata['dagster/table_name'] = md.text(tableName(model));
  }
  const rows = sumStat(run, 'total_rows_processed');
  if (rows !== null) metadata['dagster/row_count'] = md.int(rows);
  const bytes = sumStat(run, 'total_bytes_processed');
  if (bytes !== null) metadata['sqlmesh/bytes_processed'] = md.int(bytes);
  return metadata;
}

/** The physical table name users query: catalog.schema.table without quotes. */
export function tableName(model: ManifestModel): string {
  return [model.catalog, model.schema, model.table].filter((part) => part !== null && part !== '').join('.');
}

function sumStat(run: ModelRun, key: 'total_rows_processed' | 'total_bytes_processed'): number | null {
  const values = run.batches.map((batch) => batch.execution_stats?.[key] ?? null).filter((v): v is number => v !== null);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0);
}

/**
 * A check result exactly as SQLMesh evaluated the audit, batch by batch: ERROR when a batch failed
 * on it as a blocking audit, WARN when it only warned (or the audit is non-blocking).
 */
export function checkResult(outcome: AuditOutcome, audit: ManifestAudit | undefined): CheckIntent {
  const metadata: MetadataMap = {
    'sqlmesh/audit': md.text(outcome.audit),
    'sqlmesh/blocking': md.bool(outcome.blocking),
    'sqlmesh/batches_audited': md.int(outcome.batches),
  };
  if (audit && Object.keys(audit.args).length > 0) metadata['sqlmesh/args'] = md.json(audit.args);
  if (!outcome.passed) {
    metadata['sqlmesh/batches_failed'] = md.int(outcome.failures.length);
    const rows = outcome.failures.map((entry) => entry.failure.failed_rows).filter((n): n is number => n !== null && n !== undefined);
    if (rows.length > 0) metadata['sqlmesh/failing_rows'] = md.int(rows.reduce((a, b) => a + b, 0));
    const failedIntervals = outcome.failures.flatMap((entry) => (entry.interval ? [entry.interval] : []));
    if (failedIntervals.length > 0) metadata['sqlmesh/failed_intervals'] = md.json(failedIntervals);
    const query = outcome.failures.find((entry) => entry.failure.query)?.failure.query;
    if (query) metadata['sqlmesh/audit_query'] = md.md(`\`\`\`sql\n${query}\n\`\`\``);
  }
  return { passed: outcome.passed, severity: outcome.blocking ? 'ERROR' : 'WARN', metadata };
}

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
export function batchText(event: EventOf<'batch_evaluated'>): string {
  const of = event.batch_count === null ? `${event.batch_index + 1}` : `${event.batch_index + 1}/${event.batch_count}`;
  const interval = event.interval ? ` [${event.interval[0]}, ${event.interval[1]})` : '';
  const what = event.annotation ? ` ${event.annotation}` : '';
  return `${event.model}: batch ${of}${interval}${what} in ${seconds(event.duration_ms).toFixed(2)}s, audits passed ${event.audits_passed}, failed ${event.audits_failed}`;
}
