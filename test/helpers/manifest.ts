import type { ManifestModel } from '../../src/sqlmesh/manifest-schema.js';

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
    cron: '@daily',
    interval_unit: 'day',
    tags: [],
    owner: null,
    description: null,
    columns: [],
    depends_on: [],
    audits: [],
    data_hash: `hash-${name}`,
    partitioned_by: [],
    clustered_by: [],
    grains: [],
    dialect: 'duckdb',
    query: `SELECT 1 AS x`,
    ...overrides,
  };
}
