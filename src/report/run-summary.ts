import { z } from 'zod';

/**
 * The last `report_custom_message` of a run under Pipes: what happened to every model in scope.
 * The Dagster side reads it after the process exits to fail the step (with SQLMesh's own error
 * text) AFTER the successful materializations and check results have been recorded — a non-zero
 * exit would make PipesSubprocessClient drop them. So under Pipes with our extras, model failures
 * exit 0 and are carried here; usage errors and crashes still exit non-zero.
 */
export const RUN_SUMMARY_KIND = 'sqlmesh_pipes/run_summary';

/**
 * `partial`: SQLMesh committed some of its batches and failed (or skipped) others — it is
 * materialized with the committed intervals, and the run failed; `skipped`: SQLMesh skipped it
 * because an upstream batch failed; `not_due`: nothing of it was due; `not_run`: the run itself
 * failed or was interrupted before SQLMesh got to it; `unverified`: the text console saw batch lines
 * for it that SQLMesh's own end state does not vouch for, so it is not recorded.
 */
export const ModelOutcome = z.enum(['materialized', 'partial', 'failed', 'skipped', 'not_due', 'not_run', 'unverified']);
export type ModelOutcome = z.infer<typeof ModelOutcome>;

export const RunSummary = z.strictObject({
  kind: z.literal(RUN_SUMMARY_KIND),
  /** The exit code the CLI would use outside Dagster (0 ok/nothing due, 1 failed). */
  exit_code: z.union([z.literal(0), z.literal(1)]),
  status: z.enum(['success', 'failed', 'nothing_to_do']),
  models: z.array(
    z.strictObject({
      model: z.string(),
      asset_key: z.string().nullable(),
      outcome: ModelOutcome,
      /** Why it was not materialized (SQLMesh's error text for failures). */
      reason: z.string().nullable(),
      error_class: z.string().nullable(),
    }),
  ),
  /** SQLMesh's own failure text, one block per failed model; empty on success. */
  error: z.string().nullable(),
  /** The manifest does not match what SQLMesh ran (null when it does, or when it cannot tell). */
  manifest_drift: z
    .strictObject({
      /** Nodes SQLMesh evaluated that the manifest does not have. */
      unknown_models: z.array(z.string()),
      /** Nodes in scope whose SQLMesh snapshot identifier differs from the manifest's fingerprint. */
      changed_models: z.array(z.string()),
    })
    .nullable(),
  duration_ms: z.number(),
});
export type RunSummary = z.infer<typeof RunSummary>;
export type ManifestDrift = NonNullable<RunSummary['manifest_drift']>;
