import { z } from 'zod';

/**
 * What the Dagster side (python_shim/src/sqlmesh_pipes) passes to `sqlmesh-pipes run` in the
 * Pipes context `extras`, under the key EXTRAS_KEY. The Pipes context lists the selected asset
 * keys but not the selected checks, nor which model each key is: both come from here.
 * Run options here override the CLI flags (the Dagster resource is the source of truth).
 */
export const EXTRAS_KEY = 'sqlmesh_pipes';
export const EXTRAS_VERSION = 1 as const;

/** One selected asset check: which audit use of which model it reports. */
export const SelectedCheck = z.strictObject({
  asset_key: z.string(),
  check_name: z.string(),
  model: z.string(),
  audit: z.string(),
  /** Index into the manifest model's `audits` (disambiguates one audit used twice). */
  audit_index: z.number().int().nonnegative(),
});
export type SelectedCheck = z.infer<typeof SelectedCheck>;

export const RunExtras = z.strictObject({
  version: z.literal(EXTRAS_VERSION),
  /** Asset key string (exactly as in the Pipes context) → SQLMesh model name, for every key in scope. */
  models: z.record(z.string(), z.string()),
  /** Selected checks; a check not listed here is never reported. */
  checks: z.array(SelectedCheck),
  project_dir: z.string().optional(),
  environment: z.string().optional(),
  gateway: z.string().nullable().optional(),
  ignore_cron: z.boolean().optional(),
  execution_time: z.string().nullable().optional(),
  start: z.string().nullable().optional(),
  end: z.string().nullable().optional(),
  sqlmesh_python: z.string().nullable().optional(),
  console: z.enum(['json', 'text']).optional(),
  /** Overrides the gateway's `concurrent_tasks` (Dagster resource `concurrency_limit`). */
  concurrent_tasks: z.number().int().positive().nullable().optional(),
  manifest_path: z.string().nullable().optional(),
  /**
   * How long Dagster waits after SIGINT before it kills the executor (SQLMeshResource
   * termination_timeout_seconds); the executor gives SQLMesh a share of it (stopGraceMs).
   */
  termination_timeout_seconds: z.number().positive().optional(),
});
export type RunExtras = z.infer<typeof RunExtras>;
