import { z } from 'zod';
import { ExitCode, RUN_SUMMARY_KIND } from './constants.js';

/*
 * The last `report_custom_message` of a run under Pipes: what happened to every model in scope.
 * The Dagster side reads it after the process exits to fail the step (with SQLMesh's own error
 * text) AFTER the successful materializations and check results have been recorded — a non-zero
 * exit would make PipesSubprocessClient drop them. So under Pipes with our extras, model failures
 * exit 0 and are carried here; usage errors and crashes still exit non-zero.
 */
export { RUN_SUMMARY_KIND };

export const ModelOutcome = z.enum(['materialized', 'partial', 'failed', 'skipped', 'not_due', 'not_run', 'unverified']).meta({
  id: 'ModelOutcome',
  description:
    '`partial`: SQLMesh committed some batches and failed (or skipped) others: materialized with the committed intervals, and the run failed; ' +
    '`skipped`: SQLMesh skipped it because an upstream batch failed; `not_due`: nothing of it was due; ' +
    '`not_run`: the run failed or was interrupted before SQLMesh got to it; `unverified`: the text console saw batch lines ' +
    "for it that SQLMesh's own end state does not vouch for, so it is not recorded.",
});
export type ModelOutcome = z.infer<typeof ModelOutcome>;

/** Short words for each outcome, as run summaries list them ("not due: a, b"). */
export const OUTCOME_LABELS = {
  materialized: 'materialized',
  partial: 'partially materialized',
  failed: 'failed',
  skipped: 'skipped',
  not_due: 'not due',
  not_run: 'not run',
  unverified: 'unverified',
} as const satisfies Record<ModelOutcome, string>;

export const RunSummaryModel = z
  .strictObject({
    model: z.string(),
    asset_key: z.string().nullable(),
    outcome: ModelOutcome,
    reason: z
      .string()
      .nullable()
      .describe(
        "Why it was not (or only partly) materialized, worded by the executor (SQLMesh's error text for failures); null when materialized.",
      ),
    error_class: z.string().nullable(),
  })
  .meta({ id: 'RunSummaryModel', description: 'What happened to one model in scope.' });
export type RunSummaryModel = z.infer<typeof RunSummaryModel>;

export const ManifestDrift = z
  .strictObject({
    unknown_models: z.array(z.string()).describe('Nodes SQLMesh evaluated that the manifest does not have.'),
    changed_models: z
      .array(z.string())
      .describe("Nodes in scope whose SQLMesh snapshot identifier differs from the manifest's fingerprint."),
  })
  .meta({ id: 'ManifestDrift', description: 'The manifest does not match what SQLMesh ran.' });
export type ManifestDrift = z.infer<typeof ManifestDrift>;

export const RunSummary = z
  .strictObject({
    kind: z.literal(RUN_SUMMARY_KIND),
    exit_code: z
      .union([z.literal(ExitCode.ok), z.literal(ExitCode.failed)])
      .describe('The exit code the CLI would use outside Dagster (0 ok/nothing due, 1 failed).'),
    status: z.enum(['success', 'failed', 'nothing_to_do']),
    models: z.array(RunSummaryModel),
    error: z.string().nullable().describe("SQLMesh's own failure text, one block per failed model; null on success."),
    manifest_drift: ManifestDrift.nullable().describe('Null when the manifest matches what SQLMesh ran, or when that cannot be told.'),
    duration_ms: z.number(),
  })
  .meta({ id: 'RunSummary', description: 'The last custom message of a run under Pipes: what happened to every model in scope.' });
export type RunSummary = z.infer<typeof RunSummary>;
