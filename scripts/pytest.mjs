#!/usr/bin/env node
// Lints and runs the Python test suites (python_shim unit tests and the real-Dagster e2e tests)
// with the project's .venv, forwarding extra arguments to pytest.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const python = join(root, '.venv', 'bin', 'python');

// Lint first (a second): the Python side is held to ruff like the TypeScript side to tsc and Biome.
const lint = spawnSync(join(root, '.venv', 'bin', 'ruff'), ['check', 'python_shim', 'test/e2e', 'examples'], {
  cwd: root,
  stdio: 'inherit',
});
if (lint.status !== 0) process.exit(lint.status ?? 1);

const result = spawnSync(python, ['-m', 'pytest', '-q', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SQLMESH__DISABLE_ANONYMIZED_ANALYTICS: '1' },
});
if (result.error) {
  process.stderr.write(`pytest: cannot run ${python}: ${result.error.message} — run \`npm run setup\`\n`);
  process.exit(2);
}
process.exit(result.status ?? 1);
