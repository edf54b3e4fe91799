import { z } from 'zod';

/**
 * The project manifest: everything the Dagster side knows about a SQLMesh project.
 * Produced in the SQLMesh env by `sqlmesh-pipes manifest` (python_shim/src/sqlmesh_pipes_console);
 * read by the Dagster code location (python_shim/src/sqlmesh_pipes) and by the Node executor.
 * Strict: an unknown key is an error, so the producer and both readers stay in step.
 * Bump MANIFEST_VERSION on any incompatible change.
 */
export const MANIFEST_VERSION = 2;

export const ManifestColumn = z.strictObject({
  name: z.string(),
  type: z.string().nullable(),
  description: z.string().nullable(),
});

export const ManifestAudit = z.strictObject({
  name: z.string(),
  /** Arguments rendered as SQL text. */
  args: z.record(z.string(), z.string()),
  blocking: z.boolean(),
});
export type ManifestAudit = z.infer<typeof ManifestAudit>;

export const ManifestModel = z.strictObject({
  /** SQLMesh model name as written in the project, e.g. `sushi.orders`. */
  name: z.string(),
  /** Fully qualified, quoted: `"db"."sushi"."orders"`. */
  fqn: z.string(),
  catalog: z.string().nullable(),
  schema: z.string(),
  table: z.string(),
  /** Kind name, e.g. FULL, VIEW, SEED, INCREMENTAL_BY_TIME_RANGE, INCREMENTAL_BY_UNIQUE_KEY, EXTERNAL. */
  kind: z.string(),
  /** Kind properties worth showing (batch_size, time_column, unique_key, lookback, ...). */
  kind_details: z.record(z.string(), z.unknown()),
  cron: z.string(),
  interval_unit: z.string().nullable(),
  tags: z.array(z.string()),
  owner: z.string().nullable(),
  description: z.string().nullable(),
  columns: z.array(ManifestColumn),
  /** FQNs of upstream models and external models. */
  depends_on: z.array(z.string()),
  audits: z.array(ManifestAudit),
  data_hash: z.string(),
  /** SQLMesh's snapshot identifier of this definition (query, metadata, parents); null if unknown. */
  fingerprint: z.string().nullable(),
  partitioned_by: z.array(z.string()),
  clustered_by: z.array(z.string()),
  grains: z.array(z.string()),
  dialect: z.string(),
  /** Rendered query (null when it cannot be rendered offline, e.g. Python models). */
  query: z.string().nullable(),
});
export type ManifestModel = z.infer<typeof ManifestModel>;

export const ManifestExternalModel = z.strictObject({
  name: z.string(),
  fqn: z.string(),
  catalog: z.string().nullable(),
  schema: z.string(),
  table: z.string(),
  description: z.string().nullable(),
  columns: z.array(ManifestColumn),
  /** Audits SQLMesh runs on the external table (checks on the external asset). */
  audits: z.array(ManifestAudit),
});
export type ManifestExternalModel = z.infer<typeof ManifestExternalModel>;

/** A standalone audit: its own node in SQLMesh's DAG (cron, dependencies), never blocking. */
export const ManifestStandaloneAudit = z.strictObject({
  name: z.string(),
  /** FQNs of the models and external models it queries. */
  depends_on: z.array(z.string()),
  cron: z.string(),
  description: z.string().nullable(),
  fingerprint: z.string().nullable(),
});
export type ManifestStandaloneAudit = z.infer<typeof ManifestStandaloneAudit>;

export const Manifest = z.strictObject({
  manifest_version: z.literal(MANIFEST_VERSION),
  sqlmesh_version: z.string(),
  generated_at: z.string(),
  project_dir: z.string(),
  gateway: z.string().nullable(),
  default_catalog: z.string().nullable(),
  dialect: z.string(),
  models: z.array(ManifestModel),
  external_models: z.array(ManifestExternalModel),
  standalone_audits: z.array(ManifestStandaloneAudit),
});
export type Manifest = z.infer<typeof Manifest>;

/** JSON Schema of the manifest, for the Python readers and for documentation. */
export function manifestJsonSchema(): unknown {
  return z.toJSONSchema(Manifest);
}
