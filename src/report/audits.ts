import type { AuditFailure, Interval } from '../contracts/console-events.js';
import type { ManifestAudit } from '../contracts/manifest.js';
import type { ModelRun } from './run-state.js';

/** One batch in which an audit failed, as SQLMesh evaluated it there. */
export interface AuditBatchFailure {
  readonly failure: AuditFailure;
  /** Blocking in that batch: SQLMesh failed the batch on it (else it only warned). */
  readonly blocking: boolean;
  readonly batchIndex: number | null;
  readonly interval: Interval | null;
}

/** How one audit use of a node came out in this run. */
export interface AuditOutcome {
  /** Index into the node's audits in the manifest. */
  readonly auditIndex: number;
  readonly audit: string;
  /** As SQLMesh evaluated it: blocking when any batch failed on it, else the manifest's flag. */
  readonly blocking: boolean;
  readonly passed: boolean;
  /** Every failing batch (one entry per batch). */
  readonly failures: readonly AuditBatchFailure[];
  /** Batches in which the node's audits ran. */
  readonly batches: number;
}

/**
 * The outcome of every audit SQLMesh actually evaluated for a node, batch by batch, or [] when it
 * evaluated none. SQLMesh runs every audit of a batch: a successful batch reports counts (and
 * warns of its non-blocking failures), a batch that failed on blocking audits lists them (its
 * non-blocking failures arrive as warnings for the same batch); a batch that failed before its
 * audits (a SQL error) ran none. An audit passed when it ran and no batch failed it.
 */
export function auditOutcomes(run: ModelRun, audits: readonly ManifestAudit[]): AuditOutcome[] {
  const auditedBatches = new Set<string>();
  const intervals = new Map<number, Interval>();
  for (const batch of run.batches) {
    if (batch.interval) intervals.set(batch.batch_index, batch.interval);
    if (batch.audits_passed + batch.audits_failed > 0) auditedBatches.add(`ok:${batch.batch_index}`);
  }
  const failed: AuditBatchFailure[] = [];
  run.failures.forEach((failure, position) => {
    if (failure.interval && failure.batch_index !== null) intervals.set(failure.batch_index, failure.interval);
    if (failure.audit_failures.length === 0) return;
    auditedBatches.add(`failed:${failure.batch_index ?? `#${position}`}`);
    for (const audit of failure.audit_failures) {
      failed.push({ failure: audit, blocking: true, batchIndex: failure.batch_index, interval: failure.interval });
    }
  });
  for (const warning of run.warnings) {
    const batchIndex = warning.batch_index ?? null;
    failed.push({
      failure: warning.failure,
      blocking: false,
      batchIndex,
      interval: batchIndex === null ? null : (intervals.get(batchIndex) ?? null),
    });
  }
  if (auditedBatches.size === 0 && failed.length === 0) return [];
  const batches = Math.max(auditedBatches.size, 1);

  return audits.map((audit, auditIndex) => {
    const mine = failed.filter((entry) => belongsTo(entry.failure, auditIndex, audit, audits));
    const blocking = mine.length > 0 ? mine.some((entry) => entry.blocking) : audit.blocking;
    return { auditIndex, audit: audit.name, blocking, passed: mine.length === 0, failures: mine, batches };
  });
}

/** Whether SQLMesh's failure is this audit use: by the console's index, else by name (and arguments). */
function belongsTo(failure: AuditFailure, auditIndex: number, audit: ManifestAudit, audits: readonly ManifestAudit[]): boolean {
  if (typeof failure.audit_index === 'number') return failure.audit_index === auditIndex;
  if (failure.audit !== audit.name) return false;
  // One audit used twice: tell the uses apart by their arguments when SQLMesh gave them.
  const sameName = audits.filter((other) => other.name === audit.name);
  if (sameName.length > 1 && failure.args !== null && failure.args !== undefined) return sameArgs(failure.args, audit.args);
  return true;
}

function sameArgs(a: Record<string, string>, b: Record<string, string>): boolean {
  const norm = (args: Record<string, string>) =>
    JSON.stringify(
      Object.entries(args)
        .map(([k, v]) => [k.toLowerCase(), v.replace(/\s+/g, ' ').trim().toLowerCase()])
        .sort(),
    );
  return norm(a) === norm(b);
}
