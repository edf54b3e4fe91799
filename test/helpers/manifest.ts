import { MANIFEST_VERSION, type Manifest, type ManifestExternalModel, type ManifestModel } from '../../src/contracts/manifest.js';

/** A manifest model with sensible defaults; override what the test is about. */
export function manifestModel(name: string, overrides: Partial<ManifestModel> = {}): ManifestModel {
  const [schema = 'shop', table = name] = name.split('.');
  return {
    name,
    fqn: `"db"."${schema}"."${table}"`,
    catalog: 'db',
    schema,
    table,
    kind: 'FULL',
    kind_details: {},
    start: null,
    end: null,
    cron: '@daily',
    cron_period_seconds: 86400,
    cron_tz: null,
    interval_unit: 'day',
    allow_partials: false,
    tags: [],
    owner: null,
    description: null,
    columns: [],
    depends_on: [],
    audits: [],
    data_hash: `hash-${name}`,
    fingerprint: `fp-${name}`,
    partitioned_by: [],
    clustered_by: [],
    grains: [],
    dialect: 'duckdb',
    query: `SELECT 1 AS x`,
    source_path: null,
    column_lineage: null,
    ...overrides,
  };
}

/** An external model with sensible defaults; override what the test is about. */
export function manifestExternal(name: string, overrides: Partial<ManifestExternalModel> = {}): ManifestExternalModel {
  const [schema = 'raw', table = name] = name.split('.');
  return {
    name,
    fqn: `"db"."${schema}"."${table}"`,
    catalog: 'db',
    schema,
    table,
    description: null,
    cron: '@daily',
    cron_tz: null,
    columns: [],
    audits: [],
    ...overrides,
  };
}

/** A whole manifest around `models`; override what the test is about. */
export function manifestOf(models: ManifestModel[], overrides: Partial<Manifest> = {}): Manifest {
  return {
    manifest_version: MANIFEST_VERSION,
    sqlmesh_version: '0.236.4',
    generated_at: '2026-01-01T00:00:00Z',
    project_dirs: ['/p'],
    project_fingerprint: null,
    gateway: null,
    default_catalog: 'db',
    dialect: 'duckdb',
    models,
    external_models: [],
    standalone_audits: [],
    ...overrides,
  };
}
