#!/usr/bin/env node
// The truth property test over many seeds: each seed generates a small SQLMesh project with one
// injected fault, runs it through real Dagster and the executor, and compares Dagster's event log
// with SQLMesh's own interval state (test/e2e/property/truth_harness.py, one process per seed so
// that a termination's SIGINT only reaches its own run). `npm test` runs a handful of these seeds;
// this runs hundreds.
//
//   node scripts/truth-property.mjs --seeds 200 [--start 0] [--jobs 2] [--keep DIR] [--json FILE]
//
// Prints each seed as it finishes, then per-fault-kind and per-category counts and every
// divergence; exits 1 on any divergence or harness error (a seed that could not be set up).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const python = join(root, '.venv', 'bin', 'python');
const harness = join(root, 'test', 'e2e', 'property', 'truth_harness.py');
const SEED_TIMEOUT_MS = 300_000;

function usage(message) {
  process.stderr.write(
    `truth-property: ${message}\nusage: node scripts/truth-property.mjs --seeds N [--start S] [--jobs J] [--keep DIR] [--json FILE]\n`,
  );
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      seeds: { type: 'string', default: '200' },
      start: { type: 'string', default: '0' },
      jobs: { type: 'string', default: '2' },
      keep: { type: 'string' },
      json: { type: 'string' },
    },
  }).values;
} catch (error) {
  usage(error.message);
}
const [count, start, jobs] = [args.seeds, args.start, args.jobs].map(Number);
if (![count, start, jobs].every(Number.isInteger) || count < 1 || start < 0 || jobs < 1)
  usage('--seeds, --start and --jobs take whole numbers (--seeds, --jobs >= 1)');

const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  process.stderr.write('truth-property: `npm run build` failed\n');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'truth-property-'));
const keep = args.keep ? resolve(args.keep) : null;
if (keep) mkdirSync(keep, { recursive: true });

/** Run one seed in its own process; resolves to its report (or a harness error). */
function runSeed(seed) {
  return new Promise((done) => {
    const out = join(work, `seed-${seed}.json`);
    const argv = [harness, '--seed', String(seed), '--out', out, ...(keep ? ['--keep', join(keep, `seed-${seed}`)] : [])];
    const child = spawn(python, argv, {
      cwd: root,
      env: { ...process.env, SQLMESH__DISABLE_ANONYMIZED_ANALYTICS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: a timeout stops SQLMesh and Node under it too
    });
    let log = '';
    const keepTail = (chunk) => {
      log = (log + chunk).slice(-6000);
    };
    child.stdout.on('data', keepTail);
    child.stderr.on('data', keepTail);
    const timer = setTimeout(() => {
      log += `\n(timed out after ${SEED_TIMEOUT_MS / 1000}s)`;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, SEED_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        const report = JSON.parse(readFileSync(out, 'utf8'));
        done(report.harness_error ? { seed, harness_error: report.harness_error } : report);
      } catch {
        done({ seed, harness_error: `the harness exited ${code ?? signal} without a report:\n${log}` });
      }
    });
  });
}

const seeds = Array.from({ length: count }, (_, i) => start + i);
const reports = [];
const started = performance.now();
let next = 0;
async function worker() {
  while (next < seeds.length) {
    const seed = seeds[next++];
    const report = await runSeed(seed);
    reports.push(report);
    const status = report.harness_error
      ? 'HARNESS ERROR'
      : `${report.divergences.length} divergence(s)  prepare ${report.prepare_s.toFixed(1)}s run ${report.run_s.toFixed(1)}s`;
    process.stdout.write(
      `[${String(reports.length).padStart(String(count).length)}/${count}] seed ${seed} ${report.fault ?? ''}: ${status}\n`,
    );
  }
}
await Promise.all(Array.from({ length: Math.min(jobs, count) }, worker));
const wallS = (performance.now() - started) / 1000;
reports.sort((a, b) => a.seed - b.seed);

// --- summary -------------------------------------------------------------------------------------
const ok = reports.filter((r) => !r.harness_error);
const errors = reports.filter((r) => r.harness_error);
const pad = (s, n) => String(s).padEnd(n);
const kinds = new Map();
for (const r of ok) {
  const k = kinds.get(r.fault_kind) ?? { seeds: 0, diverging: 0, divergences: 0 };
  k.seeds += 1;
  k.divergences += r.divergences.length;
  if (r.divergences.length > 0) k.diverging += 1;
  kinds.set(r.fault_kind, k);
}
process.stdout.write(`\n${pad('fault kind', 22)}${pad('seeds', 8)}${pad('diverging', 12)}divergences\n`);
for (const [kind, k] of [...kinds].sort())
  process.stdout.write(`${pad(kind, 22)}${pad(k.seeds, 8)}${pad(k.diverging, 12)}${k.divergences}\n`);

const categories = new Map();
for (const r of ok) {
  for (const d of r.divergences) {
    const c = categories.get(d.category) ?? { count: 0, seeds: new Set(), example: { seed: r.seed, ...d } };
    c.count += 1;
    c.seeds.add(r.seed);
    categories.set(d.category, c);
  }
}
if (categories.size > 0) {
  process.stdout.write(`\n${pad('category', 40)}${pad('count', 7)}${pad('seeds', 7)}first example\n`);
  for (const [category, c] of [...categories].sort((a, b) => b[1].count - a[1].count)) {
    const e = c.example;
    process.stdout.write(`${pad(category, 40)}${pad(c.count, 7)}${pad(c.seeds.size, 7)}seed ${e.seed}, ${e.subject}: ${e.detail}\n`);
  }
  process.stdout.write('\nAll divergences:\n');
  for (const r of ok) {
    if (r.divergences.length === 0) continue;
    process.stdout.write(`seed ${r.seed} (${r.fault}):\n`);
    for (const d of r.divergences) process.stdout.write(`  [${d.category}] run ${d.run + 1}, ${d.subject}: ${d.detail}\n`);
  }
}
for (const r of errors) process.stdout.write(`\nseed ${r.seed}: HARNESS ERROR\n${r.harness_error}\n`);

const perSeed = ok.map((r) => r.prepare_s + r.run_s).sort((a, b) => a - b);
const total = ok.reduce((n, r) => n + r.divergences.length, 0);
if (perSeed.length > 0) {
  const mean = perSeed.reduce((a, b) => a + b, 0) / perSeed.length;
  process.stdout.write(
    `\nper seed: mean ${mean.toFixed(1)}s, median ${perSeed[Math.floor(perSeed.length / 2)].toFixed(1)}s, max ${perSeed.at(-1).toFixed(1)}s (prepare + run)\n`,
  );
}
process.stdout.write(
  `${reports.length} seed(s) ${start}..${start + count - 1} in ${wallS.toFixed(0)}s with ${jobs} job(s): ${total} divergence(s) in ${ok.filter((r) => r.divergences.length > 0).length} seed(s), ${errors.length} harness error(s)\n`,
);
if (args.json) writeFileSync(args.json, JSON.stringify(reports, null, 1));
rmSync(work, { recursive: true, force: true });
process.exit(total > 0 || errors.length > 0 ? 1 : 0);
