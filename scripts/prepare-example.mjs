#!/usr/bin/env node
// Prepare a scratch copy of the example SQLMesh project with a fresh DuckDB state:
//   1. copy examples/sqlmesh_project to TARGET (sources only: no cache, logs or databases);
//   2. create the landing tables its external models read (examples/setup/landing.sql);
//   3. `sqlmesh plan --auto-apply --no-prompts`, so `sqlmesh run` has a prod environment
//      (with --skip-backfill the plan only creates the environment, and the first `sqlmesh run`
//      evaluates every model: what the demo and the end-to-end tests materialize through Dagster).
// Plan + apply is for the example only; the executor itself never applies plans.
//
//   node scripts/prepare-example.mjs [TARGET] [--no-plan] [--skip-backfill] [--python PATH]
//
// TARGET defaults to examples/.work/sqlmesh_project. A TARGET this script prepared before is
// replaced; any other non-empty directory is refused. Built-ins only (runs before npm ci).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'examples', 'sqlmesh_project');
const landingSql = join(root, 'examples', 'setup', 'landing.sql');
// Marks a directory as ours, so re-running may delete it without asking.
const MARKER = '.sqlmesh-pipes-example';
// The `local` gateway's database in examples/sqlmesh_project/config.yaml, relative to the project.
const DATABASE = 'shop.duckdb';
// Never copied: SQLMesh's cache and logs and any database are per working copy.
const SKIPPED = new Set(['.cache', 'logs']);

/** Print one clear line and exit 2 (configuration error). */
function fail(message) {
  process.stderr.write(`prepare-example: ${message}\n`);
  process.exit(2);
}

function parseCli() {
  try {
    const { values, positionals } = parseArgs({
      allowPositionals: true,
      options: {
        'no-plan': { type: 'boolean', default: false },
        'skip-backfill': { type: 'boolean', default: false },
        python: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      process.stdout.write('usage: node scripts/prepare-example.mjs [TARGET] [--no-plan] [--skip-backfill] [--python PATH]\n');
      process.exit(0);
    }
    if (positionals.length > 1) fail(`expected at most one TARGET directory, got ${positionals.length}`);
    return {
      target: resolve(positionals[0] ?? join(root, 'examples', '.work', 'sqlmesh_project')),
      plan: !values['no-plan'],
      skipBackfill: values['skip-backfill'],
      python: values.python ?? process.env.SQLMESH_PIPES_PYTHON ?? join(root, '.venv', 'bin', 'python'),
    };
  } catch (error) {
    return fail(error.message);
  }
}

function prepareTarget(target) {
  if (target === source || source.startsWith(`${target}/`)) fail(`TARGET ${target} would overwrite the example sources`);
  if (existsSync(target)) {
    const entries = readdirSync(target);
    if (entries.length > 0 && !entries.includes(MARKER)) {
      fail(`${target} exists and was not prepared by this script — pass an empty or new directory`);
    }
    rmSync(target, { recursive: true, force: true });
  }
  cpSync(source, target, {
    recursive: true,
    filter: (path) => !SKIPPED.has(basename(path)) && !/\.duckdb(\.wal)?$/.test(path),
  });
  writeFileSync(join(target, MARKER), 'Prepared by scripts/prepare-example.mjs; safe to delete.\n');
}

/** Run the SQLMesh python; on failure show its output tail and exit with one line. */
function runPython(python, args, { cwd, what }) {
  const result = spawnSync(python, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: {
      ...process.env,
      SQLMESH__DISABLE_ANONYMIZED_ANALYTICS: '1',
      // Plain output: this script shows SQLMesh's text only when something went wrong.
      NO_COLOR: '1',
      COLUMNS: '200',
      PYTHONIOENCODING: 'utf-8',
    },
  });
  if (result.error) {
    fail(
      `cannot run ${python}: ${result.error.code ?? result.error.message} — run \`npm run setup\` or pass --python PATH to a python with sqlmesh`,
    );
  }
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n');
    process.stderr.write(`${output.slice(-25).join('\n')}\n`);
    const last =
      output
        .filter((line) => line.trim())
        .at(-1)
        ?.trim() ?? '';
    fail(`${what} failed (exit ${result.status})${last ? `: ${last}` : ''}`);
  }
  return result.stdout;
}

const CREATE_LANDING = `
import datetime, sys
import duckdb
database, sql_path = sys.argv[1], sys.argv[2]
# Whole minutes in UTC, naive: SQLMesh's intervals are UTC and the columns are TIMESTAMP.
now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, second=0, microsecond=0)
con = duckdb.connect(database)
con.execute("SET VARIABLE now_utc = ?::TIMESTAMP", [now])
con.execute(open(sql_path, encoding="utf-8").read())
counts = {t: con.execute(f"SELECT COUNT(*) FROM landing.{t}").fetchone()[0] for t in ("orders", "order_items", "web_events")}
con.close()
print(" ".join(f"{t}={n}" for t, n in counts.items()))
`;

const RUN_SQLMESH_CLI = 'import sys; from sqlmesh.cli.main import cli; sys.exit(cli())';

const started = Date.now();
const { target, plan, skipBackfill, python } = parseCli();
if (!existsSync(python) && python.includes('/')) {
  fail(`python not found: ${python} — run \`npm run setup\` or pass --python PATH to a python with sqlmesh`);
}
prepareTarget(target);
const rows = runPython(python, ['-c', CREATE_LANDING, join(target, DATABASE), landingSql], {
  cwd: target,
  what: 'creating the landing tables',
}).trim();
if (plan) {
  // cwd = the project: config.yaml's database path is relative to where SQLMesh runs.
  runPython(python, ['-c', RUN_SQLMESH_CLI, 'plan', '--auto-apply', '--no-prompts', ...(skipBackfill ? ['--skip-backfill'] : [])], {
    cwd: target,
    what: '`sqlmesh plan --auto-apply`',
  });
}
const seconds = ((Date.now() - started) / 1000).toFixed(1);
process.stdout.write(
  `prepared ${target} (landing ${rows}; ${plan ? `prod plan applied${skipBackfill ? ' without backfill' : ''}` : 'no plan'}) in ${seconds}s\n`,
);
