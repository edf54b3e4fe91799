// Shared pieces of the benchmark scripts (bench-run, bench-dagster, bench-load): paths, a timed
// child process, medians, and a generated project whose prod environment exists but whose models
// were never evaluated (so every copy of it runs the same, full workload).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const python = join(root, '.venv', 'bin', 'python');
// The console script: `python -m sqlmesh.cli.main` has no __main__ guard and does nothing.
export const sqlmesh = join(root, '.venv', 'bin', 'sqlmesh');
export const cli = join(root, 'dist', 'cli.js');
const env = { ...process.env, SQLMESH__DISABLE_ANONYMIZED_ANALYTICS: '1' };

/** Median of a list of numbers. */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Numbers as `1.23, 4.56`. */
export const fmt = (xs) => xs.map((x) => x.toFixed(2)).join(', ');

/** Run a command to completion (`extraEnv` on top of ours); exit the benchmark with its stderr if it fails. */
export function timed(name, file, args, cwd, extraEnv = {}) {
  const started = performance.now();
  const result = spawnSync(file, args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - started;
  if (result.status !== 0) {
    process.stderr.write(`${name}: ${file} ${args.join(' ')} exited ${result.status}\n${result.stderr.slice(-3000)}\n`);
    process.exit(1);
  }
  return { ms, stdout: result.stdout };
}

/**
 * A scratch dir with a generated N-model project (`template`, prod planned without backfill, unless
 * `plan` is false) and its manifest; `copy(name)` gives a fresh copy; `cleanup()` removes all.
 */
export function benchProject(name, models, { plan = true } = {}) {
  const work = mkdtempSync(join(tmpdir(), `sqlmesh-pipes-${name}-`));
  const template = join(work, 'template');
  const manifest = join(work, 'manifest.json');
  execFileSync(process.execPath, [join(root, 'scripts', 'generate-project.mjs'), '--models', String(models), '--out', template], {
    stdio: 'ignore',
  });
  if (plan) timed(name, sqlmesh, ['plan', '--auto-apply', '--no-prompts', '--skip-backfill'], template);
  timed(name, process.execPath, [cli, 'manifest', '--project', template, '--out', manifest], template);
  return {
    template,
    manifest,
    copy(copyName) {
      const dir = join(work, copyName);
      rmSync(dir, { recursive: true, force: true });
      cpSync(template, dir, { recursive: true });
      return dir;
    },
    cleanup: () => rmSync(work, { recursive: true, force: true }),
  };
}
