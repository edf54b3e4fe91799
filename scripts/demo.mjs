#!/usr/bin/env node
// `npm run demo`: prepare the example SQLMesh project (fresh DuckDB state, prod created without
// backfill), build its manifest, then materialize every asset through real Dagster and our
// executor, and print what happened. `npm run demo` runs setup and the build first.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const project = join(root, 'examples', '.work', 'demo');
const python = join(root, '.venv', 'bin', 'python');

function step(title, file, args, options = {}) {
  process.stdout.write(`\n== ${title}\n`);
  const result = spawnSync(file, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    process.stderr.write(`demo: ${title} failed (exit ${result.status ?? result.signal}) — see above\n`);
    process.exit(result.status || 1);
  }
}

step('Preparing the example project (examples/.work/demo)', process.execPath, [
  join(root, 'scripts', 'prepare-example.mjs'),
  project,
  '--skip-backfill',
]);
step('Building the manifest (in the SQLMesh env)', process.execPath, [
  join(root, 'dist', 'cli.js'),
  'manifest',
  '--project',
  project,
  '--out',
  join(project, 'sqlmesh-pipes-manifest.json'),
]);
step('Materializing every asset through Dagster (one sqlmesh run via Pipes)', python, ['run_demo.py'], {
  cwd: join(root, 'examples', 'dagster_demo'),
  env: { ...process.env, SQLMESH_PIPES_DEMO_PROJECT: project, SQLMESH__DISABLE_ANONYMIZED_ANALYTICS: '1' },
});
process.stdout.write(`\nExplore it in the Dagster UI: .venv/bin/dagster dev -f examples/dagster_demo/definitions.py\n`);
