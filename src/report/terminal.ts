import type { RunSummary } from '../contracts/run-summary.js';
import type { ModelSummary } from './reporter.js';

const MARK: Record<ModelSummary['outcome'], string> = {
  materialized: 'ok',
  partial: 'PARTIAL',
  failed: 'FAILED',
  skipped: 'skipped',
  not_due: 'not due',
  not_run: 'not run',
  unverified: 'unverified',
};

/** The final summary table printed outside Dagster: model, status, checks, batches, duration. */
export function summaryTable(models: readonly ModelSummary[], summary: RunSummary): string {
  const rows = models.map((line) => [
    line.model,
    MARK[line.outcome],
    checksText(line.checks),
    String(line.batches),
    line.batches > 0 ? `${(line.durationMs / 1000).toFixed(2)}s` : '-',
  ]);
  const header = ['model', 'status', 'checks', 'batches', 'duration'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const format = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  const counts = countBy(models.map((line) => MARK[line.outcome]));
  const totals = Object.entries(counts)
    .map(([mark, n]) => `${n} ${mark}`)
    .join(', ');
  return [
    format(header),
    format(widths.map((w) => '-'.repeat(w))),
    ...rows.map(format),
    '',
    `${summary.status === 'failed' ? 'Run FAILED' : summary.status === 'nothing_to_do' ? 'Nothing to do' : 'Run succeeded'}: ${totals || 'no models in scope'} in ${(summary.duration_ms / 1000).toFixed(1)}s`,
  ].join('\n');
}

function checksText(checks: ModelSummary['checks']): string {
  if (checks.length === 0) return '-';
  const failed = checks.filter((check) => !check.passed);
  if (failed.length === 0) return `${checks.length} passed`;
  return `${checks.length - failed.length} passed, ${failed.length} failed (${failed.map((c) => `${c.name} ${c.severity}`).join(', ')})`;
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
