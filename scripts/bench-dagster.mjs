#!/usr/bin/env node
// Benchmark: end-to-end Dagster materialization of a generated project (default 100 models)
// through sqlmesh_pipes + the Node executor, next to a bare `sqlmesh run` of the same state.
// Each round starts from a copy of a project on which `plan --skip-backfill` created prod, so
// every model is due. Times: the whole in-process Dagster run (execute_in_process), and the
// bare SQLMesh CLI run.
//
//   node scripts/bench-dagster.mjs [--models 100] [--rounds 3]
import { parseArgs } from 'node:util';
import { benchProject, fmt, median, python, sqlmesh, timed } from './bench-lib.mjs';

const { values } = parseArgs({ options: { models: { type: 'string', default: '100' }, rounds: { type: 'string', default: '3' } } });

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

const project = benchProject('bench-dagster', values.models);
try {
  const bare = [];
  const dagster = [];
  let counts = '';
  for (let round = 0; round < Number(values.rounds); round += 1) {
    bare.push(timed('bench-dagster', sqlmesh, ['run'], project.copy('bare')).ms / 1000);
    const dir = project.copy('dagster');
    const { stdout } = timed('bench-dagster', python, ['-c', MATERIALIZE, dir, project.manifest], dir);
    const [, run, n, c, ok] = stdout.trim().split('\n').at(-1).split(' ');
    if (ok !== '1') {
      process.stderr.write('bench-dagster: the Dagster run failed\n');
      process.exit(1);
    }
    dagster.push(Number(run));
    counts = `${n} materializations, ${c} check results`;
  }
  process.stdout.write(
    `${values.models} models, ${values.rounds} rounds (${counts} per Dagster run)\n` +
      `bare sqlmesh run:                 median ${median(bare).toFixed(2)}s  [${fmt(bare)}]\n` +
      `Dagster materialization (in-process run, executor + SQLMesh): median ${median(dagster).toFixed(2)}s  [${fmt(dagster)}]\n` +
      `Dagster run overhead over bare SQLMesh: ${(median(dagster) - median(bare)).toFixed(2)}s\n`,
  );
} finally {
  project.cleanup();
}
