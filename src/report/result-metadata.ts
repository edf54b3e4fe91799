import type { Interval } from '../contracts/console-events.js';
import type { ManifestAudit, ManifestModel } from '../contracts/manifest.js';
import type { AuditOutcome } from './audits.js';
import { type MetadataMap, md } from './metadata.js';
import { evaluationMs, isPartial, type ModelRun } from './run-state.js';

// What each reported result carries: a materialization's and a check result's metadata.

/** A check result to report for one audit use. */
export interface CheckIntent {
  readonly passed: boolean;
  readonly severity: 'ERROR' | 'WARN';
  readonly metadata: MetadataMap;
}

export const seconds = (ms: number) => Math.round(ms) / 1000;

/** `n` and what happened to them, as text: counts of this run's batches are not a time series to plot. */
const batchCount = (n: number, done: string, failed: number) => md.text(failed > 0 ? `${n} ${done}, ${failed} failed` : `${n} ${done}`);

/**
 * Metadata of a model SQLMesh committed batches of: what ran, how long, how much — and, when some
 * batches failed or were skipped, `sqlmesh/partial` with the intervals that did not commit.
 * Only measurements (duration, rows, bytes) are numbers, so Dagster plots only those.
 */
export function materializationMetadata(run: ModelRun, model: ManifestModel | undefined): MetadataMap {
  const intervals = run.batches.flatMap((batch) => (batch.interval ? [batch.interval] : []));
  const durationMs = evaluationMs(run);
  const metadata: MetadataMap = {
    'sqlmesh/batches': batchCount(run.batches.length, 'committed', run.failures.length),
    'sqlmesh/duration_s': md.float(seconds(durationMs)),
  };
  if (isPartial(run)) {
    metadata['sqlmesh/partial'] = md.bool(true);
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
    metadata['dagster/table_name'] = md.text(tableName(model));
  }
  const rows = sumStat(run, 'total_rows_processed');
  if (rows !== null) metadata['sqlmesh/rows_processed'] = md.int(rows);
  const counted = run.batches.findLast((batch) => batch.row_count !== undefined)?.row_count;
  // Rows processed are the table's rows only when the run rewrote the whole table.
  const rowCount = counted ?? (model && WHOLE_TABLE_KINDS.has(model.kind) ? rows : null);
  if (rowCount !== null && rowCount !== undefined) metadata['dagster/row_count'] = md.int(rowCount);
  const bytes = sumStat(run, 'total_bytes_processed');
  if (bytes !== null) metadata['sqlmesh/bytes_processed'] = md.int(bytes);
  return metadata;
}

/** Kinds whose evaluation writes the whole table, so SQLMesh's rows processed are its row count. */
const WHOLE_TABLE_KINDS = new Set(['FULL', 'SEED']);

/** The physical table name users query: catalog.schema.table without quotes. */
function tableName(model: ManifestModel): string {
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
export function checkResult(
  outcome: AuditOutcome,
  audit: ManifestAudit | undefined,
  inPlace: readonly Interval[] | null = null,
): CheckIntent {
  const metadata: MetadataMap = {
    'sqlmesh/audit': md.text(outcome.audit),
    'sqlmesh/blocking': md.bool(outcome.blocking),
    'sqlmesh/batches_audited': batchCount(outcome.batches, 'audited', outcome.failures.length),
  };
  if (inPlace !== null) {
    // Audited without evaluating the model: over the intervals the environment already held.
    metadata['sqlmesh/audit_only'] = md.bool(true);
    if (inPlace.length > 0) metadata['sqlmesh/audited_intervals'] = md.json([...inPlace]);
  }
  if (audit && Object.keys(audit.args).length > 0) metadata['sqlmesh/args'] = md.json(audit.args);
  if (!outcome.passed) {
    const rows = outcome.failures.map((entry) => entry.failure.failed_rows).filter((n): n is number => n !== null && n !== undefined);
    if (rows.length > 0) metadata['sqlmesh/failing_rows'] = md.int(rows.reduce((a, b) => a + b, 0));
    const failedIntervals = outcome.failures.flatMap((entry) => (entry.interval ? [entry.interval] : []));
    if (failedIntervals.length > 0) metadata['sqlmesh/failed_intervals'] = md.json(failedIntervals);
    const query = outcome.failures.find((entry) => entry.failure.query)?.failure.query;
    if (query) metadata['sqlmesh/audit_query'] = md.md(`\`\`\`sql\n${query}\n\`\`\``);
  }
  return { passed: outcome.passed, severity: outcome.blocking ? 'ERROR' : 'WARN', metadata };
}
