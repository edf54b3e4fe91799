import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import {
  buildManifest,
  indexManifest,
  MANIFEST_VERSION,
  type Manifest,
  type ManifestModel,
  parseManifest,
  readManifestFile,
} from '../../src/sqlmesh/manifest.js';
import { checkSqlmeshPython, resolveSqlmeshPython } from '../../src/sqlmesh/python.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const exampleSource = join(root, 'examples', 'sqlmesh_project');
const run = promisify(execFile);

let scratch: string;
/** A copy of the example project: SQLMesh writes its .cache next to the project. */
let example: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sqlmesh-pipes-manifest-'));
  example = join(scratch, 'example');
  await cp(exampleSource, example, { recursive: true, filter: (path) => !/\.cache|logs|\.duckdb/.test(path) });
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function model(manifest: Manifest, name: string): ManifestModel {
  const found = indexManifest(manifest).modelByName(name);
  if (!found) throw new Error(`model ${name} not in manifest`);
  return found;
}

function blockingByAudit(entry: ManifestModel): Record<string, boolean> {
  return Object.fromEntries(entry.audits.map((audit) => [audit.name, audit.blocking]));
}

describe('manifest of the example project (real SQLMesh)', () => {
  let manifest: Manifest;

  beforeAll(async () => {
    manifest = await buildManifest({ project: example });
  });

  test('project-level facts', async () => {
    expect(manifest.manifest_version).toBe(MANIFEST_VERSION);
    expect(manifest.sqlmesh_version).toBe(await checkSqlmeshPython(resolveSqlmeshPython()));
    expect(manifest.project_dirs).toEqual([example]);
    expect(manifest.gateway).toBe('local');
    expect(manifest.default_catalog).toBe('shop');
    expect(manifest.dialect).toBe('duckdb');
    expect(new Date(manifest.generated_at).toString()).not.toBe('Invalid Date');
  });

  test('every model, sorted by FQN, with its kind', () => {
    expect(manifest.models.map((m) => m.fqn)).toEqual([...manifest.models.map((m) => m.fqn)].sort());
    expect(Object.fromEntries(manifest.models.map((m) => [m.name, m.kind]))).toEqual({
      'analytics.conversion_daily': 'FULL',
      'analytics.customer_segments': 'FULL',
      'analytics.daily_revenue': 'INCREMENTAL_BY_TIME_RANGE',
      'analytics.dim_customers': 'FULL',
      'analytics.fct_order_lines': 'INCREMENTAL_BY_TIME_RANGE',
      'analytics.hourly_traffic': 'INCREMENTAL_BY_TIME_RANGE',
      'analytics.live_sessions': 'INCREMENTAL_BY_TIME_RANGE',
      'analytics.top_products': 'VIEW',
      'raw.customers': 'SEED',
      'raw.products': 'SEED',
      'staging.customers': 'VIEW',
      'staging.order_items': 'INCREMENTAL_BY_UNIQUE_KEY',
      'staging.orders': 'INCREMENTAL_BY_TIME_RANGE',
      'staging.products': 'VIEW',
      'staging.web_events': 'INCREMENTAL_BY_TIME_RANGE',
    });
  });

  test('a Python model: its docstring is its description, its file its source_path', () => {
    expect(model(manifest, 'analytics.customer_segments')).toMatchObject({
      description: expect.stringMatching(/^Each customer's segment from their lifetime revenue: vip, active or new\./),
      source_path: 'models/analytics/customer_segments.py',
      query: null,
    });
    expect(model(manifest, 'analytics.daily_revenue').source_path).toBe('models/analytics/daily_revenue.sql');
  });

  test('names, FQNs and table parts', () => {
    const orders = model(manifest, 'staging.orders');
    expect(orders).toMatchObject({ fqn: '"shop"."staging"."orders"', catalog: 'shop', schema: 'staging', table: 'orders' });
  });

  test('crons and interval units, including a 15-minute cron', () => {
    expect(model(manifest, 'analytics.live_sessions')).toMatchObject({ cron: '*/15 * * * *', interval_unit: 'quarter_hour' });
    expect(model(manifest, 'staging.web_events')).toMatchObject({ cron: '@hourly', interval_unit: 'hour' });
    expect(model(manifest, 'analytics.daily_revenue')).toMatchObject({ cron: '@daily', interval_unit: 'day' });
  });

  test('kind details: batch_size, time_column, lookback, unique_key, seed path', () => {
    expect(model(manifest, 'staging.web_events').kind_details).toMatchObject({
      batch_size: 12,
      lookback: 1,
      time_column: { column: 'event_ts', format: '%Y-%m-%d' },
    });
    expect(model(manifest, 'staging.order_items').kind_details).toMatchObject({ unique_key: ['order_id', 'line_number'] });
    expect(model(manifest, 'raw.products').kind_details).toMatchObject({ path: 'seeds/products.csv' });
    expect(model(manifest, 'analytics.conversion_daily').kind_details).toEqual({});
  });

  test('audits with rendered args and blocking flags (built-in, *_non_blocking, custom)', () => {
    const revenue = model(manifest, 'analytics.daily_revenue');
    expect(revenue.audits).toEqual([
      { name: 'assert_positive', args: { column: 'revenue_cents' }, blocking: true },
      { name: 'accepted_range_non_blocking', args: { column: 'revenue_cents', min_v: '0', max_v: '500000' }, blocking: false },
      { name: 'number_of_rows', args: { threshold: '1' }, blocking: true },
    ]);
    expect(blockingByAudit(model(manifest, 'staging.web_events'))).toEqual({
      not_null: true,
      accepted_values: true,
      // Custom audit declared with `blocking false`.
      assert_recent_activity: false,
    });
    expect(model(manifest, 'raw.products').audits[1]).toEqual({
      name: 'accepted_values_non_blocking',
      args: { column: 'category', is_in: "('coffee', 'tea', 'equipment', 'accessories')" },
      blocking: false,
    });
    expect(model(manifest, 'staging.products').audits).toEqual([]);
  });

  test('depends_on holds FQNs of models and external models', () => {
    expect(model(manifest, 'staging.orders').depends_on).toEqual(['"shop"."landing"."orders"']);
    expect(model(manifest, 'analytics.fct_order_lines').depends_on).toEqual([
      '"shop"."staging"."order_items"',
      '"shop"."staging"."orders"',
      '"shop"."staging"."products"',
    ]);
    expect(model(manifest, 'raw.customers').depends_on).toEqual([]);
    const known = new Set([...manifest.models, ...manifest.external_models].map((m) => m.fqn));
    for (const entry of manifest.models) for (const dep of entry.depends_on) expect(known).toContain(dep);
  });

  test('external models from external_models.yaml', () => {
    expect(manifest.external_models.map((m) => m.name)).toEqual(['landing.order_items', 'landing.orders', 'landing.web_events']);
    const orders = indexManifest(manifest).externalModel('"shop"."landing"."orders"');
    expect(orders).toMatchObject({ catalog: 'shop', schema: 'landing', table: 'orders' });
    expect(orders?.description).toMatch(/^Orders replicated/);
    expect(orders?.columns[2]).toEqual({ name: 'order_ts', type: 'TIMESTAMP', description: 'When the order was placed (UTC).' });
  });

  test('columns with types and descriptions (inline comments, column_descriptions, seeds)', () => {
    expect(model(manifest, 'analytics.fct_order_lines').columns).toContainEqual({
      name: 'line_total_cents',
      type: 'INT',
      description: 'Line revenue in EUR cents.',
    });
    expect(model(manifest, 'analytics.conversion_daily').columns.map((c) => c.description)).toEqual([
      'Day (UTC).',
      'Distinct sessions.',
      'Sessions with a checkout event.',
      'converted_sessions / sessions.',
    ]);
    expect(model(manifest, 'raw.products').columns).toContainEqual({
      name: 'unit_price',
      type: 'DECIMAL(10, 2)',
      description: 'List price in EUR.',
    });
    // SQLMesh cannot infer DATE_TRUNC's type offline: null, not "UNKNOWN".
    expect(model(manifest, 'analytics.hourly_traffic').columns[0]).toEqual({ name: 'event_hour', type: null, description: 'Hour (UTC).' });
  });

  test('tags, owner, description, grains, partitions, query', () => {
    const revenue = model(manifest, 'analytics.daily_revenue');
    expect(revenue.tags).toEqual(['dagster:group_name:sales', 'kpi']);
    expect(revenue.owner).toBe('finance');
    expect(revenue.description).toMatch(/^Revenue and order count per day/);
    expect(revenue.grains).toEqual(['order_date']);
    expect(revenue.partitioned_by).toEqual(['order_date']);
    expect(revenue.clustered_by).toEqual([]);
    expect(revenue.dialect).toBe('duckdb');
    expect(revenue.data_hash).toMatch(/^\d+$/);
    // As the project writes it: the time macros, not the 1970 bounds of an offline rendering.
    expect(revenue.query).toContain('FROM analytics.fct_order_lines');
    expect(revenue.query).toContain('order_date BETWEEN @start_ds AND @end_ds');
    expect(revenue.query).not.toContain('1970');
    expect(model(manifest, 'raw.customers').query).toBeNull();
    expect(model(manifest, 'staging.order_items').grains).toEqual(['order_id', 'line_number']);
  });

  test('index helpers', () => {
    const index = indexManifest(manifest);
    expect(index.fqnToName.get('"shop"."analytics"."dim_customers"')).toBe('analytics.dim_customers');
    expect(index.modelByFqn('"shop"."raw"."products"')?.name).toBe('raw.products');
    expect(index.modelByName('landing.orders')).toBeUndefined();
    expect(index.externalModel('landing.web_events')?.fqn).toBe('"shop"."landing"."web_events"');
    expect(index.externalModels).toHaveLength(3);
  });

  test('the committed fixture for the Dagster side still matches the schema and the project', async () => {
    const fixture = await readManifestFile(join(root, 'python_shim', 'tests', 'fixtures', 'example_manifest.json'));
    const strip = (m: Manifest) =>
      m.models.map(({ name, kind, cron, audits, depends_on, columns, tags }) => ({ name, kind, cron, audits, depends_on, columns, tags }));
    expect(strip(fixture)).toEqual(strip(manifest));
  });
});

describe('buildManifest options and errors', () => {
  test('--gateway selects another gateway (its catalog in every FQN)', async () => {
    const manifest = await buildManifest({ project: example, gateway: 'scratch' });
    expect(manifest.gateway).toBe('scratch');
    expect(manifest.default_catalog).toBe('scratch');
    expect(indexManifest(manifest).modelByName('staging.orders')?.depends_on).toEqual(['"scratch"."landing"."orders"']);
  });

  test('--out writes the file that readManifestFile reads', async () => {
    const out = join(scratch, 'out', 'manifest.json');
    const manifest = await buildManifest({ project: example, out });
    expect(await readManifestFile(out)).toEqual(manifest);
    expect(await readdir(join(scratch, 'out'))).toEqual(['manifest.json']);
  });

  test('an unknown gateway is a one-line ConfigurationError', async () => {
    const error = await buildManifest({ project: example, gateway: 'nope' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      /^gateway 'nope' is not in the project's config \(gateways: [\w, ]+\) — pass one of them as --gateway/,
    );
  });

  test('a missing project is a one-line ConfigurationError', async () => {
    const error = await buildManifest({ project: join(scratch, 'nowhere') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      /^SQLMesh project directory not found: .*nowhere — pass --project the SQLMesh project's folder$/,
    );
  });

  test('a directory without a SQLMesh project is a one-line ConfigurationError', async () => {
    const error = await buildManifest({ project: scratch }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^no SQLMesh project in .* \(none of: config.py, /);
  });

  test('a missing python is a ConfigurationError naming the fix', async () => {
    const error = await buildManifest({ project: example, sqlmeshPython: '/nonexistent/python' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/^SQLMesh python not found: \/nonexistent\/python — pass --sqlmesh-python/);
  });

  test('a python without sqlmesh is a ConfigurationError naming the fix', async () => {
    // A fake interpreter that fails like a python without sqlmesh, for the run and the probe alike.
    const fake = join(scratch, 'python-without-sqlmesh');
    await writeFile(fake, '#!/bin/sh\necho "ModuleNotFoundError: No module named \'sqlmesh\'" >&2\nexit 1\n', { mode: 0o755 });
    const error = await buildManifest({ project: example, sqlmeshPython: fake }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/python-without-sqlmesh has no sqlmesh module — pass --sqlmesh-python/);
  });
});

describe('readManifestFile validation', () => {
  async function validManifest(): Promise<Record<string, unknown>> {
    const text = await readFile(join(root, 'python_shim', 'tests', 'fixtures', 'example_manifest.json'), 'utf8');
    return JSON.parse(text) as Record<string, unknown>;
  }

  test('a missing file names the file and the fix', async () => {
    await expect(readManifestFile(join(scratch, 'missing.json'))).rejects.toThrow(
      /^cannot read manifest .*missing\.json: ENOENT — run `sqlmesh-pipes manifest/,
    );
  });

  test('invalid JSON names the file', () => {
    expect(() => parseManifest('{', 'm.json')).toThrow(/^manifest m\.json is not valid JSON: /);
  });

  test('an unknown key is rejected by the strict schema, naming the path and the model', async () => {
    const raw = await validManifest();
    const models = raw.models as Record<string, unknown>[];
    models[4] = { ...models[4], surprise: true };
    expect(() => parseManifest(JSON.stringify(raw), 'm.json')).toThrow(
      `manifest m.json is invalid: models[4] (model analytics.fct_order_lines): Unrecognized key: "surprise"`,
    );
  });

  test('a wrong type names the nested path', async () => {
    const raw = await validManifest();
    const models = raw.models as { audits: { blocking: unknown }[] }[];
    models[2]!.audits[0]!.blocking = 'yes';
    const path = join(scratch, 'bad.json');
    await writeFile(path, JSON.stringify(raw));
    await expect(readManifestFile(path)).rejects.toThrow(
      /^manifest .*bad\.json is invalid: models\[2\]\.audits\[0\]\.blocking \(model analytics\.daily_revenue\): Invalid input: expected boolean, received string$/,
    );
  });

  test('another manifest version is rejected', async () => {
    const raw = { ...(await validManifest()), manifest_version: 1 };
    expect(() => parseManifest(JSON.stringify(raw), 'm.json')).toThrow(/^manifest m\.json is invalid: manifest_version: /);
  });
});

describe('generated projects (scripts/generate-project.mjs)', () => {
  const generate = (models: number, out: string, ...extra: string[]) =>
    run(process.execPath, [join(root, 'scripts', 'generate-project.mjs'), '--models', String(models), '--out', out, ...extra]);

  test('the manifest of a 40-model project: mixed kinds, crons, audits, layered deps', async () => {
    const out = join(scratch, 'gen40');
    const { stdout } = await generate(40, out);
    expect(stdout).toMatch(/^generated 40 models in 6 layers at /);
    const manifest = await buildManifest({ project: out });
    expect(manifest.models).toHaveLength(40);
    expect(manifest.default_catalog).toBe('bench');
    expect(new Set(manifest.models.map((m) => m.kind))).toEqual(
      new Set(['SEED', 'FULL', 'VIEW', 'INCREMENTAL_BY_TIME_RANGE', 'INCREMENTAL_BY_UNIQUE_KEY']),
    );
    expect(manifest.external_models.map((m) => m.fqn)).toEqual(['"bench"."ext"."events"']);
    const audits = manifest.models.flatMap((m) => m.audits);
    expect(audits.some((a) => a.blocking)).toBe(true);
    expect(audits.some((a) => !a.blocking)).toBe(true);
    // Every dependency points at an earlier layer (a DAG) or the external table.
    const index = indexManifest(manifest);
    const layerOf = (m: ManifestModel) => Number(m.schema.replace('layer_', ''));
    for (const entry of manifest.models) {
      for (const dep of entry.depends_on) {
        const upstream = index.modelByFqn(dep);
        if (upstream) expect(layerOf(upstream)).toBeLessThan(layerOf(entry));
        else expect(index.externalModel(dep)).toBeDefined();
      }
      expect(entry.tags).toContain(`dagster:group_name:${entry.schema}`);
    }
  });

  test('generation is deterministic and refuses foreign directories', async () => {
    const [a, b] = [join(scratch, 'det-a'), join(scratch, 'det-b')];
    await generate(25, a);
    await generate(25, b);
    const files = async (dir: string) => (await readdir(dir, { recursive: true })).sort();
    expect(await files(a)).toEqual(await files(b));
    for (const file of await files(a)) {
      if (file.endsWith('.sql') || file.endsWith('.yaml')) {
        expect(await readFile(join(a, file), 'utf8')).toBe(await readFile(join(b, file), 'utf8'));
      }
    }
    const foreign = join(scratch, 'foreign');
    await cp(exampleSource, foreign, { recursive: true });
    await expect(generate(5, foreign)).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^generate-project: .* was not generated by this script/),
    });
  });
});

describe('scripts/prepare-example.mjs', () => {
  test('prepares a working copy with landing tables and an applied prod plan', async () => {
    const target = join(scratch, 'prepared');
    const { stdout } = await run(process.execPath, [join(root, 'scripts', 'prepare-example.mjs'), target]);
    expect(stdout).toMatch(/^prepared .*prepared \(landing orders=72 order_items=144 web_events=\d+; prod plan applied\) in /);
    const files = await readdir(target);
    expect(files).toEqual(expect.arrayContaining(['shop.duckdb', 'config.yaml', '.sqlmesh-pipes-example']));
    // A second run replaces its own working copy.
    await run(process.execPath, [join(root, 'scripts', 'prepare-example.mjs'), target, '--no-plan']);
  });

  test('refuses a directory it did not prepare', async () => {
    const foreign = join(scratch, 'not-ours');
    await cp(exampleSource, foreign, { recursive: true });
    await expect(run(process.execPath, [join(root, 'scripts', 'prepare-example.mjs'), foreign])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^prepare-example: .* was not prepared by this script/),
    });
  });
});
