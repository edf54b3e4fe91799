#!/usr/bin/env node
// Generate a deterministic N-model SQLMesh project on DuckDB, for benchmarks and tests:
//
//   node scripts/generate-project.mjs --models 100 --out DIR [--seed 1] [--force]
//
// The DAG is layered: layer 0 holds sources (SEED models and incremental models over one
// external table), each later layer reads 1-3 models of earlier layers (mostly the one just
// before). Kinds, crons, audits (built-in, custom, blocking and non-blocking), tags and owners
// are mixed by a seeded PRNG, so the same arguments always produce byte-identical files.
// The project needs no network and no setup: `before_all` creates the external table, so
// `sqlmesh plan --auto-apply` then `sqlmesh run` work on a fresh copy.
// Built-ins only.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const MARKER = '.sqlmesh-pipes-generated';
const MAX_MODELS = 20_000;

/** Print one clear line and exit 2 (usage error). */
function fail(message) {
  process.stderr.write(`generate-project: ${message}\n`);
  process.exit(2);
}

function parseCli() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        models: { type: 'string' },
        out: { type: 'string' },
        seed: { type: 'string', default: '1' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return fail(error.message);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write('usage: node scripts/generate-project.mjs --models N --out DIR [--seed S] [--force]\n');
    process.exit(0);
  }
  const models = Number(values.models);
  if (!Number.isInteger(models) || models < 2 || models > MAX_MODELS) {
    fail(`--models must be an integer from 2 to ${MAX_MODELS}, got ${JSON.stringify(values.models ?? null)}`);
  }
  if (!values.out) fail('--out DIR is required');
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) fail(`--seed must be an integer, got ${JSON.stringify(values.seed)}`);
  return { models, out: resolve(values.out), seed, force: values.force };
}

/** mulberry32: tiny, seedable, good enough to pick kinds and parents reproducibly. */
function prng(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (items) => items[Math.floor(next() * items.length)],
    /** Pick by weight from [[value, weight], ...]. */
    weighted: (pairs) => {
      const total = pairs.reduce((sum, [, weight]) => sum + weight, 0);
      let roll = next() * total;
      for (const [value, weight] of pairs) {
        roll -= weight;
        if (roll < 0) return value;
      }
      return pairs[pairs.length - 1][0];
    },
  };
}

const OWNERS = ['data-platform', 'analytics', 'finance', 'growth'];
const EXTERNAL_TABLE = 'ext.events';

/** Layer count grows with log2(N): 100 models → 7 layers, 1000 → 10. */
function layerCount(models) {
  return Math.min(12, Math.max(3, Math.ceil(Math.log2(models))));
}

/** Plan every model: name, layer, kind, cron, parents, audits. */
function planProject(count, rand) {
  const layers = layerCount(count);
  const sources = Math.max(1, Math.round(count * 0.1));
  const perLayer = Math.ceil((count - sources) / (layers - 1));
  const models = [];
  const byLayer = Array.from({ length: layers }, () => []);
  for (let i = 0; i < count; i += 1) {
    const layer = i < sources ? 0 : Math.min(layers - 1, 1 + Math.floor((i - sources) / perLayer));
    const name = `layer_${String(layer).padStart(2, '0')}.model_${String(i + 1).padStart(4, '0')}`;
    const model = { index: i, name, layer, parents: [] };
    if (layer === 0) {
      // Alternate sources so both seeds and the external table feed the DAG.
      model.kind = i % 2 === 0 ? 'SEED' : 'INCREMENTAL_BY_TIME_RANGE';
      model.cron = '@daily';
      if (model.kind !== 'SEED') model.external = true;
    } else {
      model.kind = rand.weighted([
        ['FULL', 35],
        ['VIEW', 20],
        ['INCREMENTAL_BY_TIME_RANGE', 30],
        ['INCREMENTAL_BY_UNIQUE_KEY', 15],
      ]);
      // Sub-daily crons only on kinds that rebuild whole: an hourly interval over a DATE column is meaningless.
      model.cron =
        model.kind === 'FULL'
          ? rand.weighted([
              ['@daily', 70],
              ['@hourly', 20],
              ['*/30 * * * *', 10],
            ])
          : '@daily';
      const parentCount = Math.min(rand.int(1, 3), models.length);
      const picked = new Set();
      for (let p = 0; p < parentCount; p += 1) {
        // Mostly the layer just before (a deep DAG), sometimes any earlier layer (long edges).
        const fromLayer = rand.next() < 0.7 ? layer - 1 : rand.int(0, layer - 1);
        const candidates = byLayer[fromLayer].length > 0 ? byLayer[fromLayer] : byLayer[layer - 1];
        picked.add(rand.pick(candidates).name);
      }
      model.parents = [...picked].sort();
    }
    model.batchSize = model.kind === 'INCREMENTAL_BY_TIME_RANGE' && rand.next() < 0.5 ? rand.int(1, 2) : null;
    model.audits = pickAudits(model, rand);
    model.owner = OWNERS[(layer + i) % OWNERS.length];
    models.push(model);
    byLayer[layer].push(model);
  }
  return { layers, models };
}

function pickAudits(model, rand) {
  if (model.kind === 'SEED') return ['not_null(columns := (id, event_date))'];
  const audits = [];
  if (rand.next() < 0.6) audits.push('not_null(columns := (id, event_date))');
  if (model.kind === 'INCREMENTAL_BY_UNIQUE_KEY' || rand.next() < 0.3) {
    audits.push('unique_combination_of_columns(columns := (id, event_date))');
  }
  if (rand.next() < 0.3) audits.push('accepted_range_non_blocking(column := amount, min_v := 0)');
  if (rand.next() < 0.25) audits.push('non_negative(column := id)');
  if (rand.next() < 0.15) audits.push('few_rows_warning(max_rows := 100000)');
  return audits;
}

function kindClause(model) {
  switch (model.kind) {
    case 'INCREMENTAL_BY_TIME_RANGE': {
      const batch = model.batchSize ? `,\n    batch_size ${model.batchSize}` : '';
      return `INCREMENTAL_BY_TIME_RANGE (\n    time_column event_date${batch}\n  )`;
    }
    case 'INCREMENTAL_BY_UNIQUE_KEY':
      return 'INCREMENTAL_BY_UNIQUE_KEY (\n    unique_key (id, event_date)\n  )';
    case 'SEED':
      return "SEED (\n    path '../../seeds/base.csv'\n  )";
    default:
      return model.kind;
  }
}

function modelSql(model) {
  const audits = model.audits.length ? `,\n  audits (\n    ${model.audits.join(',\n    ')}\n  )` : '';
  const header = [
    'MODEL (',
    `  name ${model.name},`,
    `  kind ${kindClause(model)},`,
    `  cron '${model.cron}',`,
    `  owner '${model.owner}',`,
    `  description 'Generated model ${model.index + 1} (layer ${model.layer}, ${model.kind}).',`,
    `  tags ['dagster:group_name:layer_${String(model.layer).padStart(2, '0')}', 'generated'],`,
    `  grains (id, event_date)${audits}`,
    ');',
    '',
  ].join('\n');
  if (model.kind === 'SEED') {
    // A seed has no query; its columns and their descriptions are declared.
    return header.replace(
      '  grains (id, event_date)',
      [
        '  columns (id INT, event_date DATE, amount DOUBLE),',
        "  column_descriptions (id = 'Entity id.', event_date = 'Day of the event.', amount = 'Amount.'),",
        '  grains (id, event_date)',
      ].join('\n'),
    );
  }
  const incremental = model.kind === 'INCREMENTAL_BY_TIME_RANGE';
  const where = incremental ? '\nWHERE event_date BETWEEN @start_ds AND @end_ds' : '';
  if (model.external) {
    return `${header}\nSELECT\n  id, -- Entity id.\n  event_date, -- Day of the event.\n  amount -- Amount.\nFROM ${EXTERNAL_TABLE}${where}\n`;
  }
  const union = model.parents.map((parent) => `  SELECT id, event_date, amount FROM ${parent}`).join('\n  UNION ALL\n');
  return [
    header,
    'SELECT',
    '  id, -- Entity id.',
    '  event_date, -- Day of the event.',
    `  SUM(amount) AS amount -- Sum of the upstream amounts.`,
    `FROM (\n${union}\n) AS upstream${where}`,
    'GROUP BY id, event_date',
    '',
  ].join('\n');
}

const CONFIG = `# Generated by scripts/generate-project.mjs — do not edit; re-generate instead.
gateways:
  local:
    connection:
      type: duckdb
      database: bench.duckdb
default_gateway: local

model_defaults:
  dialect: duckdb
  start: 2 days ago

# The external source, created on first plan/run so the project needs no setup step;
# (id, event_date) is unique, as the generated unique_combination_of_columns audits expect.
before_all:
  - CREATE SCHEMA IF NOT EXISTS ext
  - >-
    CREATE TABLE IF NOT EXISTS ${EXTERNAL_TABLE} AS
    SELECT (i % 100)::INT AS id, CURRENT_DATE - (i // 100)::INT AS event_date, (i % 97)::DOUBLE AS amount
    FROM range(0, 400) AS t(i)
`;

const EXTERNAL_MODELS = `- name: ${EXTERNAL_TABLE}
  description: Raw events landed by an ingestion tool (created by before_all in config.yaml).
  columns:
    id: INT
    event_date: DATE
    amount: DOUBLE
  column_descriptions:
    id: Entity id.
    event_date: Day of the event.
    amount: Amount.
`;

const AUDITS = {
  'non_negative.sql': `-- Blocking custom audit.\nAUDIT (\n  name non_negative,\n);\nSELECT * FROM @this_model WHERE @column < 0\n`,
  'few_rows_warning.sql': `-- Non-blocking custom audit.\nAUDIT (\n  name few_rows_warning,\n  blocking false,\n);\nSELECT 1 AS too_many FROM (SELECT COUNT(*) AS n FROM @this_model) AS c WHERE c.n > @max_rows\n`,
};

function seedCsv() {
  // Fixed dates: seeds are reference data; only incremental models depend on the run date.
  const lines = ['id,event_date,amount'];
  for (let i = 0; i < 40; i += 1) lines.push(`${i % 20},2024-01-0${1 + (i % 3)},${(i * 7) % 50}.5`);
  return `${lines.join('\n')}\n`;
}

function prepareOut(out, force) {
  if (existsSync(out)) {
    const entries = readdirSync(out);
    if (entries.length > 0 && !entries.includes(MARKER) && !force) {
      fail(`${out} exists and was not generated by this script — pass an empty directory or --force`);
    }
    rmSync(out, { recursive: true, force: true });
  }
  mkdirSync(out, { recursive: true });
}

function write(out, relative, text) {
  const path = join(out, relative);
  mkdirSync(resolve(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

const { models: count, out, seed, force } = parseCli();
const { layers, models } = planProject(count, prng(seed));
prepareOut(out, force);
write(out, MARKER, `Generated by scripts/generate-project.mjs --models ${count} --seed ${seed}; safe to delete.\n`);
write(out, 'config.yaml', CONFIG);
write(out, 'external_models.yaml', EXTERNAL_MODELS);
write(out, 'seeds/base.csv', seedCsv());
for (const [file, text] of Object.entries(AUDITS)) write(out, join('audits', file), text);
for (const model of models) {
  const [schema, table] = model.name.split('.');
  write(out, join('models', schema, `${table}.sql`), modelSql(model));
}
const kinds = {};
for (const model of models) kinds[model.kind] = (kinds[model.kind] ?? 0) + 1;
const summary = Object.entries(kinds)
  .sort()
  .map(([kind, n]) => `${kind}=${n}`)
  .join(' ');
process.stdout.write(`generated ${count} models in ${layers} layers at ${out} (${summary})\n`);
