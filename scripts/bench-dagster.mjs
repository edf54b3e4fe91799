#!/usr/bin/env node
// Benchmark: end-to-end Dagster materialization of a generated project (default 100 models)
// through sqlmesh_pipes + the Node executor, next to a bare `sqlmesh run` of the same state.
// Each round starts from a copy of a project on which `plan --skip-backfill` created prod, so
// every model is due. Times: the whole in-process Dagster run (execute_in_process), and the
// bare SQLMesh CLI run.
//
//   node scripts/bench-dagster.mjs [--models 100] [--rounds 3]
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const python = join(root, '.venv', 'bin', 'python');
const sqlmesh = join(root, '.venv', 'bin', 'sqlmesh');
const { values } = parseArgs({ options: { models: { type: 'string', default: '100' }, rounds: { type: 'string', default: '3' } } });
const env = { ...process.env, SQLMESH__DISABLE_ANONYMIZED_ANALYTICS: '1' };
const work = mkdtempSync(join(tmpdir(), 'sqlmesh-pipes-e2e-bench-'));
const template = join(work, 'template');

const MATERIALIZE = `
import sys, time
from dagster import DagsterInstance
from sqlmesh_pipes import sqlmesh_definitions_factory
t0 = time.perf_counter()
defs = sqlmesh_definitions_factory(project_dir=sys.argv[1], manifest_path=sys.argv[2])
job = defs.get_implicit_global_asset_job_def()
t1 = time.perf_counter()
with DagsterInstance.ephemeral() as instance:
    result = job.execute_in_process(instance=instance, raise_on_error=False,
                                    run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})
t2 = time.perf_counter()
n = len(result.get_asset_materialization_events())
c = len(result.get_asset_check_evaluations())
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {n} {c} {int(result.success)}")
`;

function copy(name) {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(template, dir, { recursive: true });
  return dir;
}

function timed(file, args, cwd) {
  const started = performance.now();
  const result = spawnSync(file, args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) {
    process.stderr.write(`bench-dagster: ${file} ${args.join(' ')} exited ${result.status}\n${result.stderr.slice(-3000)}\n`);
    process.exit(1);
  }
  return { ms: performance.now() - started, stdout: result.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  execFileSync(process.execPath, [join(root, 'scripts', 'generate-project.mjs'), '--models', values.models, '--out', template], { stdio: 'ignore' });
  timed(sqlmesh, ['plan', '--auto-apply', '--no-prompts', '--skip-backfill'], template);
  const manifest = join(work, 'manifest.json');
  timed(process.execPath, [join(root, 'dist', 'cli.js'), 'manifest', '--project', template, '--out', manifest], template);

  const bare = [];
  const dagster = [];
  let counts = '';
  for (let round = 0; round < Number(values.rounds); round += 1) {
    bare.push(timed(sqlmesh, ['run'], copy('bare')).ms / 1000);
    const dir = copy('dagster');
    const { stdout } = timed(python, ['-c', MATERIALIZE, dir, manifest], dir);
    const [, run, n, c, ok] = stdout.trim().split('\n').at(-1).split(' ');
    if (ok !== '1') {
      process.stderr.write('bench-dagster: the Dagster run failed\n');
      process.exit(1);
    }
    dagster.push(Number(run));
    counts = `${n} materializations, ${c} check results`;
  }
  const fmt = (xs) => xs.map((x) => x.toFixed(2)).join(', ');
  process.stdout.write(
    `${values.models} models, ${values.rounds} rounds (${counts} per Dagster run)\n` +
      `bare sqlmesh run:                 median ${median(bare).toFixed(2)}s  [${fmt(bare)}]\n` +
      `Dagster materialization (in-process run, executor + SQLMesh): median ${median(dagster).toFixed(2)}s  [${fmt(dagster)}]\n` +
      `Dagster run overhead over bare SQLMesh: ${(median(dagster) - median(bare)).toFixed(2)}s\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
