#!/usr/bin/env node
// Benchmark: Dagster code-location load time from a real 1000-model manifest (target < 1 s).
// Generates a project, builds its manifest with real SQLMesh, then times, in fresh Python
// processes, (a) `import dagster` alone and (b) import + sqlmesh_definitions_factory + resolving
// the repository and its job: what a code-location server does. Load = (b), overhead = (b) - (a).
//
//   node scripts/bench-load.mjs [--models 1000] [--rounds 5]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const python = join(root, '.venv', 'bin', 'python');
const { values } = parseArgs({ options: { models: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '5' } } });
const work = mkdtempSync(join(tmpdir(), 'sqlmesh-pipes-load-'));

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

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const project = join(work, 'project');
  const manifest = join(work, 'manifest.json');
  execFileSync(process.execPath, [join(root, 'scripts', 'generate-project.mjs'), '--models', values.models, '--out', project], { stdio: 'ignore' });
  execFileSync(process.execPath, [join(root, 'dist', 'cli.js'), 'manifest', '--project', project, '--out', manifest], { stdio: 'inherit' });
  const dagsterOnly = [];
  const total = [];
  let assets = 0;
  for (let round = 0; round < Number(values.rounds); round += 1) {
    const [a, b, n] = execFileSync(python, ['-c', LOAD, project, manifest], { encoding: 'utf8' }).trim().split(' ');
    dagsterOnly.push(Number(a));
    total.push(Number(b));
    assets = Number(n);
  }
  const fmt = (xs) => xs.map((x) => x.toFixed(2)).join(', ');
  process.stdout.write(
    `${values.models}-model manifest (${assets} asset keys incl. external sources), ${values.rounds} fresh processes\n` +
      `import dagster alone:             median ${median(dagsterOnly).toFixed(3)}s  [${fmt(dagsterOnly)}]\n` +
      `import + definitions + repo/job:  median ${median(total).toFixed(3)}s  [${fmt(total)}]\n` +
      `sqlmesh_pipes share:              median ${(median(total) - median(dagsterOnly)).toFixed(3)}s (target: load < 1 s)\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
