import type { AuditFailure } from '../sqlmesh/events.js';
import type { ManifestModel } from '../sqlmesh/manifest-schema.js';
import type { ModelRun } from './run-state.js';

/** How one audit use of a model came out in this run. */
export interface AuditOutcome {
  /** Index into the manifest model's `audits`. */
  readonly auditIndex: number;
  readonly audit: string;
  readonly blocking: boolean;
  readonly passed: boolean;
  /** The failures SQLMesh reported for this use (one per failing batch). */
  readonly failures: readonly AuditFailure[];
  /** Batches in which this audit ran. */
  readonly batches: number;
}

/**
 * The outcome of every audit SQLMesh actually evaluated for a model, or [] when it evaluated none.
 * SQLMesh reports passes only as counts, so an audit passed when it ran and no failure names it;
 * failures come as non-blocking warnings and as the blocking errors of a failed batch.
 */
export function auditOutcomes(run: ModelRun, model: ManifestModel): AuditOutcome[] {
  const blockingFailures = run.failure?.audit_failures ?? [];
  const ranInBatches = run.batches.filter((batch) => batch.audits_passed + batch.audits_failed > 0).length;
  // A batch that failed on blocking audits also ran every audit of that batch.
  const batches = ranInBatches + (blockingFailures.length > 0 ? 1 : 0);
  if (batches === 0 || model.audits.length === 0) return [];

  const warned = run.warnings.map((warning) => warning.failure);
  const failures: AuditFailure[] = [...warned, ...blockingFailures];
  return model.audits.map((audit, auditIndex) => {
    const sameName = model.audits.filter((other) => other.name === audit.name);
    const mine = failures.filter((failure) => {
      if (failure.audit !== audit.name) return false;
      // One audit used twice: tell the uses apart by their arguments when SQLMesh gave them.
      if (sameName.length > 1 && failure.args !== null) return sameArgs(failure.args, audit.args);
      return true;
    });
    // A failure SQLMesh only warned about was non-blocking at run time, whatever the manifest
    // says (SQLMesh forces audits of non-deployable snapshots to non-blocking on some engines).
    const blocking = audit.blocking && !(mine.length > 0 && mine.every((failure) => warned.includes(failure)));
    return { auditIndex, audit: audit.name, blocking, passed: mine.length === 0, failures: mine, batches };
  });
}

function sameArgs(a: Record<string, string>, b: Record<string, string>): boolean {
  const norm = (args: Record<string, string>) =>
    JSON.stringify(Object.entries(args).map(([k, v]) => [k.toLowerCase(), v.replace(/\s+/g, ' ').trim().toLowerCase()]).sort());
  return norm(a) === norm(b);
}
