#!/usr/bin/env node
// Benchmark: Dagster code-location load time from a real 1000-model manifest (target < 1 s).
// Generates a project, builds its manifest with real SQLMesh, then times, in fresh Python
// processes, (a) `import dagster` alone and (b) import + sqlmesh_definitions_factory + resolving
// the repository and its job: what a code-location server does. Load = (b), overhead = (b) - (a).
//
//   node scripts/bench-load.mjs [--models 1000] [--rounds 5]
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { benchProject, fmt, median, python } from './bench-lib.mjs';

const { values } = parseArgs({ options: { models: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '5' } } });

const LOAD = `
import sys, time
t0 = time.perf_counter()
import dagster
t1 = time.perf_counter()
from sqlmesh_pipes import sqlmesh_definitions_factory
defs = sqlmesh_definitions_factory(project_dir=sys.argv[1], manifest_path=sys.argv[2])
repo = defs.get_repository_def()
repo.get_all_jobs()
t2 = time.perf_counter()
print(f"{t1 - t0:.4f} {t2 - t0:.4f} {len(repo.asset_graph.get_all_asset_keys())}")
`;

// Loading definitions needs only the manifest: no plan.
const project = benchProject('bench-load', values.models, { plan: false });
try {
  const dagsterOnly = [];
  const total = [];
  let assets = 0;
  for (let round = 0; round < Number(values.rounds); round += 1) {
    const [a, b, n] = execFileSync(python, ['-c', LOAD, project.template, project.manifest], { encoding: 'utf8' }).trim().split(' ');
    dagsterOnly.push(Number(a));
    total.push(Number(b));
    assets = Number(n);
  }
  process.stdout.write(
    `${values.models}-model manifest (${assets} asset keys incl. external sources), ${values.rounds} fresh processes\n` +
      `import dagster alone:             median ${median(dagsterOnly).toFixed(3)}s  [${fmt(dagsterOnly)}]\n` +
      `import + definitions + repo/job:  median ${median(total).toFixed(3)}s  [${fmt(total)}]\n` +
      `sqlmesh_pipes share:              median ${(median(total) - median(dagsterOnly)).toFixed(3)}s (target: load < 1 s)\n`,
  );
} finally {
  project.cleanup();
}
