import { z } from 'zod';
import { EXTRAS_KEY, EXTRAS_VERSION } from './constants.js';

/*
 * What the Dagster side (python_shim/src/sqlmesh_pipes) passes to `sqlmesh-pipes run` in the
 * Pipes context `extras`, under the key EXTRAS_KEY. The Pipes context lists the selected asset
 * keys but not the selected checks, nor which model each key is: both come from here.
 * Run options here override the CLI flags (the Dagster resource is the source of truth).
 */
export { EXTRAS_KEY, EXTRAS_VERSION };

export const SelectedCheck = z
  .strictObject({
    asset_key: z.string(),
    check_name: z.string(),
    model: z.string(),
    audit: z.string(),
    audit_index: z.number().int().nonnegative().describe("Index into the manifest model's `audits` (disambiguates one audit used twice)."),
  })
  .meta({ id: 'SelectedCheck', description: 'One selected asset check: which audit use of which model it reports.' });
export type SelectedCheck = z.infer<typeof SelectedCheck>;

export const ConsoleKind = z
  .enum(['json', 'text'])
  .meta({ id: 'ConsoleKind', description: "How the executor reads SQLMesh: our JSON console, or SQLMesh's own text output." });
export type ConsoleKind = z.infer<typeof ConsoleKind>;

export const RunExtras = z
  .strictObject({
    version: z.literal(EXTRAS_VERSION),
    models: z
      .record(z.string(), z.string())
      .describe('Asset key string (exactly as in the Pipes context) → SQLMesh model name, for every key in scope.'),
    checks: z.array(SelectedCheck).describe('Selected checks; a check not listed here is never reported.'),
    project_dir: z.string().optional().describe('The SQLMesh project directory (a single project).'),
    project_dirs: z
      .array(z.string())
      .optional()
      .describe('The SQLMesh project directories of a multi-repo project, in load order (`sqlmesh -p A -p B`); wins over `project_dir`.'),
    environment: z.string().optional(),
    gateway: z.string().nullable().optional(),
    ignore_cron: z.boolean().optional(),
    execution_time: z.string().nullable().optional(),
    start: z.string().nullable().optional(),
    end: z.string().nullable().optional(),
    restate_models: z
      .array(z.string())
      .optional()
      .describe("Restate these models (SQLMesh's restatement plan, with `start`/`end` as its window) instead of `sqlmesh run`."),
    sqlmesh_python: z.string().nullable().optional(),
    console: ConsoleKind.optional(),
    concurrent_tasks: z
      .number()
      .int()
      .positive()
      .nullable()
      .optional()
      .describe("Overrides the gateway's `concurrent_tasks` (Dagster resource `concurrency_limit`)."),
    manifest_path: z.string().nullable().optional(),
    fetch_row_counts: z
      .boolean()
      .optional()
      .describe("Count the rows of each materialized model's table after its last batch (one COUNT(*) query per model)."),
    termination_timeout_seconds: z
      .number()
      .positive()
      .optional()
      .describe('How long Dagster waits after SIGINT before it kills the executor; the executor gives SQLMesh a share of it.'),
  })
  .meta({ id: 'RunExtras', description: 'Our part of the Pipes context extras: the selection and the run options.' });
export type RunExtras = z.infer<typeof RunExtras>;
