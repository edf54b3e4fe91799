import { z } from 'zod';
import { MANIFEST_VERSION } from './constants.js';

/*
 * The project manifest: everything the Dagster side knows about a SQLMesh project.
 * Produced in the SQLMesh env by `sqlmesh-pipes manifest` (python_shim/src/sqlmesh_pipes_console);
 * read by the Dagster code location (python_shim/src/sqlmesh_pipes) and by the Node executor.
 * Strict: an unknown key is an error, so the producer and both readers stay in step.
 * Bump MANIFEST_VERSION on any incompatible change.
 */
export { MANIFEST_VERSION };

export const ManifestColumn = z
  .strictObject({
    name: z.string(),
    type: z.string().nullable(),
    description: z.string().nullable(),
  })
  .meta({ id: 'ManifestColumn', description: 'A column of a model, as SQLMesh knows it.' });
export type ManifestColumn = z.infer<typeof ManifestColumn>;

export const ManifestColumnSource = z
  .strictObject({
    fqn: z.string().describe('FQN of the upstream model or external model.'),
    column: z.string(),
  })
  .meta({ id: 'ManifestColumnSource', description: 'An upstream column a column is computed from.' });
export type ManifestColumnSource = z.infer<typeof ManifestColumnSource>;

export const ManifestAudit = z
  .strictObject({
    name: z.string(),
    args: z.record(z.string(), z.string()).describe('Arguments rendered as SQL text.'),
    blocking: z.boolean(),
  })
  .meta({ id: 'ManifestAudit', description: "One audit use on a model; its position in the model's `audits` is its audit index." });
export type ManifestAudit = z.infer<typeof ManifestAudit>;

export const ManifestModel = z
  .strictObject({
    name: z.string().describe('SQLMesh model name as written in the project, e.g. `sushi.orders`.'),
    fqn: z.string().describe('Fully qualified and quoted: `"db"."sushi"."orders"`.'),
    catalog: z.string().nullable(),
    schema: z.string(),
    table: z.string(),
    kind: z.string().describe('Kind name: FULL, VIEW, SEED, INCREMENTAL_BY_TIME_RANGE, INCREMENTAL_BY_UNIQUE_KEY, ...'),
    kind_details: z
      .record(z.string(), z.unknown())
      .describe('Kind properties worth showing (batch_size, time_column, unique_key, lookback, ...).'),
    start: z
      .string()
      .nullable()
      .describe(
        "The model's start (SQLMesh resolves relative starts such as `1 year ago` when the manifest is built), ISO-8601 UTC; null when the model has none.",
      ),
    end: z
      .string()
      .nullable()
      .describe(
        "The model's end as SQLMesh bounds intervals with it: exclusive (a date end includes that day), ISO-8601 UTC; null when none.",
      ),
    cron: z.string(),
    cron_period_seconds: z
      .number()
      .int()
      .positive()
      .nullable()
      .describe(
        'The longest gap between two consecutive ticks of the cron in its `cron_tz` (sampled from 2023-01-01, both DST changes included): how long SQLMesh leaves the model untouched when every run succeeds. Null when the cron cannot be read.',
      ),
    cron_tz: z.string().nullable().describe("The cron's IANA time zone (`cron_tz`); null: UTC."),
    interval_unit: z.string().nullable(),
    allow_partials: z.boolean().describe('SQLMesh may process an interval before it is complete (`allow_partials`).'),
    tags: z.array(z.string()),
    owner: z.string().nullable(),
    description: z.string().nullable(),
    columns: z.array(ManifestColumn),
    depends_on: z.array(z.string()).describe('FQNs of upstream models and external models.'),
    audits: z.array(ManifestAudit),
    data_hash: z.string(),
    fingerprint: z
      .string()
      .nullable()
      .describe("SQLMesh's snapshot identifier of this definition (query, metadata, parents); null if unknown."),
    partitioned_by: z.array(z.string()),
    clustered_by: z.array(z.string()),
    grains: z.array(z.string()),
    dialect: z.string(),
    query: z.string().nullable().describe('The query as the project writes it, macros kept (null for seeds and Python models).'),
    source_path: z
      .string()
      .nullable()
      .describe("The model's file (.sql, .py, dbt .sql), relative to the base of `kind_details` seed paths; null if unknown."),
    column_lineage: z
      .record(z.string(), z.array(ManifestColumnSource))
      .nullable()
      .describe(
        "SQLMesh's own column lineage (sqlmesh.core.lineage over the rendered query): each column's upstream columns. Columns whose lineage SQLMesh cannot resolve, or that read no table, are left out; null for Python models and seeds.",
      ),
  })
  .meta({ id: 'ManifestModel', description: 'A SQLMesh model (every kind except EXTERNAL, which are in `external_models`).' });
export type ManifestModel = z.infer<typeof ManifestModel>;

export const ManifestExternalModel = z
  .strictObject({
    name: z.string(),
    fqn: z.string(),
    catalog: z.string().nullable(),
    schema: z.string(),
    table: z.string(),
    description: z.string().nullable(),
    cron: z.string().describe('When SQLMesh runs its audits (external models are nodes with a cron too).'),
    cron_tz: z.string().nullable(),
    columns: z.array(ManifestColumn),
    audits: z.array(ManifestAudit).describe('Audits SQLMesh runs on the external table (checks on the external asset).'),
  })
  .meta({ id: 'ManifestExternalModel', description: 'An external model: a table SQLMesh reads but does not build.' });
export type ManifestExternalModel = z.infer<typeof ManifestExternalModel>;

export const ManifestStandaloneAudit = z
  .strictObject({
    name: z.string(),
    depends_on: z.array(z.string()).describe('FQNs of the models and external models it queries.'),
    cron: z.string(),
    cron_tz: z.string().nullable(),
    description: z.string().nullable(),
    fingerprint: z.string().nullable(),
  })
  .meta({
    id: 'ManifestStandaloneAudit',
    description: "A standalone audit: its own node in SQLMesh's DAG (cron, dependencies), never blocking.",
  });
export type ManifestStandaloneAudit = z.infer<typeof ManifestStandaloneAudit>;

export const Manifest = z
  .strictObject({
    manifest_version: z.literal(MANIFEST_VERSION),
    sqlmesh_version: z.string(),
    generated_at: z.string(),
    project_dirs: z
      .array(z.string())
      .describe(
        "The SQLMesh project directories, absolute, in the order SQLMesh loads them (`sqlmesh -p A -p B`): the first one's config gives the connection and state. One for a single project; several for a multi-repo project. Seed paths in `kind_details` are relative to their common parent directory (the project itself when there is one).",
      ),
    project_fingerprint: z
      .string()
      .nullable()
      .describe(
        "SHA-256 of the project's files when the manifest was built (sqlmesh_pipes_console.project_files): the Dagster side recomputes it to tell a stale manifest; null when unknown.",
      ),
    gateway: z.string().nullable(),
    default_catalog: z.string().nullable(),
    dialect: z.string(),
    models: z.array(ManifestModel),
    external_models: z.array(ManifestExternalModel),
    standalone_audits: z.array(ManifestStandaloneAudit),
  })
  .meta({ id: 'Manifest', description: 'The project manifest: everything the Dagster side knows about a SQLMesh project.' });
export type Manifest = z.infer<typeof Manifest>;
