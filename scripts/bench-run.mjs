#!/usr/bin/env node
// Benchmark: overhead of `sqlmesh-pipes run` over a bare `sqlmesh run` on the same generated
// project (target <= 1.05x). Each timed run starts from the same state: a copy of a project on
// which `plan --skip-backfill` created prod, so both commands evaluate every model's intervals.
//
//   node scripts/bench-run.mjs [--models 100] [--rounds 5] [--console json|text]
//
// Needs `npm run build` and the .venv (npm run setup). Prints medians and the ratio.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const python = join(root, '.venv', 'bin', 'python');
// The console script: `python -m sqlmesh.cli.main` has no __main__ guard and does nothing.
const sqlmesh = join(root, '.venv', 'bin', 'sqlmesh');
const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '5' },
    console: { type: 'string', default: 'json' },
  },
});
const rounds = Number(values.rounds);
const env = { ...process.env, SQLMESH__DISABLE_ANONYMIZED_ANALYTICS: '1' };
const work = mkdtempSync(join(tmpdir(), 'sqlmesh-pipes-bench-'));
const template = join(work, 'template');

function run(file, args, cwd) {
  const started = performance.now();
  const result = spawnSync(file, args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - started;
  if (result.status !== 0) {
    process.stderr.write(`bench-run: ${file} ${args.join(' ')} exited ${result.status}\n${result.stderr.slice(-2000)}\n`);
    process.exit(1);
  }
  return ms;
}

function fresh(name) {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(template, dir, { recursive: true });
  return dir;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  execFileSync(process.execPath, [join(root, 'scripts', 'generate-project.mjs'), '--models', values.models, '--out', template], { stdio: 'ignore' });
  run(sqlmesh, ['plan', '--auto-apply', '--no-prompts', '--skip-backfill'], template);
  const manifest = join(work, 'manifest.json');
  run(process.execPath, [join(root, 'dist', 'cli.js'), 'manifest', '--project', template, '--out', manifest], template);

  const bare = [];
  const ours = [];
  for (let round = 0; round < rounds; round += 1) {
    // Alternate the order so that neither side always runs on a warmer machine.
    const order = round % 2 === 0 ? ['bare', 'ours'] : ['ours', 'bare'];
    for (const side of order) {
      const dir = fresh(side);
      if (side === 'bare') bare.push(run(sqlmesh, ['run'], dir));
      else ours.push(run(process.execPath, [join(root, 'dist', 'cli.js'), 'run', '--project', dir, '--manifest', manifest, '--console', values.console, '--sqlmesh-python', python], dir));
    }
  }
  const b = median(bare);
  const o = median(ours);
  process.stdout.write(
    `${values.models} models, ${rounds} rounds, console=${values.console}\n` +
      `bare sqlmesh run:      median ${(b / 1000).toFixed(2)}s  [${bare.map((x) => (x / 1000).toFixed(2)).join(', ')}]\n` +
      `sqlmesh-pipes run:     median ${(o / 1000).toFixed(2)}s  [${ours.map((x) => (x / 1000).toFixed(2)).join(', ')}]\n` +
      `ratio: ${(o / b).toFixed(3)}x (target <= 1.05x)\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
