#!/usr/bin/env node
// `npm run demo`: prepare the example SQLMesh project (fresh DuckDB state, prod created without
// backfill), build its manifest, then materialize every asset through real Dagster and our
// executor, and print what happened. `npm run demo` runs setup and the build first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const project = join(root, 'examples', '.work', 'demo');
// A persistent Dagster home beside it: `dagster dev` afterwards shows this run, its
// materializations and checks (an ephemeral instance would show nothing).
const dagsterHome = join(root, 'examples', '.work', 'dagster_home');
const python = join(root, '.venv', 'bin', 'python');

function step(title, file, args, options = {}) {
  process.stdout.write(`\n== ${title}…\n`);
  const started = Date.now();
  const result = spawnSync(file, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    process.stderr.write(`demo: ${title} failed (exit ${result.status ?? result.signal}) — see above\n`);
    process.exit(result.status || 1);
  }
  process.stdout.write(`   done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
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
mkdirSync(dagsterHome, { recursive: true });
// Offline-friendly and quiet: no telemetry (nor its welcome banner) from the demo's instance.
const dagsterYaml = join(dagsterHome, 'dagster.yaml');
if (!existsSync(dagsterYaml)) writeFileSync(dagsterYaml, 'telemetry:\n  enabled: false\n');
step('Materializing every asset through Dagster (one sqlmesh run via Pipes)', python, ['run_demo.py'], {
  cwd: join(root, 'examples', 'dagster_demo'),
  env: { ...process.env, DAGSTER_HOME: dagsterHome, SQLMESH_PIPES_DEMO_PROJECT: project, SQLMESH__DISABLE_ANONYMIZED_ANALYTICS: '1' },
});
process.stdout.write(
  '\nExplore it in the Dagster UI (this run, its materializations and checks are in the instance):\n' +
    '  DAGSTER_HOME=$PWD/examples/.work/dagster_home .venv/bin/dagster dev -f examples/dagster_demo/definitions.py\n',
);
