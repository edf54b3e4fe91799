#!/usr/bin/env node
// Benchmark: a Dagster materialization as a deployment runs it, next to a bare `sqlmesh run`.
//
// Dagster side: a fresh process `dagster asset materialize -f definitions.py --select <models>`
// with a sqlite Dagster home (DAGSTER_HOME, telemetry off) at the default INFO log level — code
// location load, run, event-log writes, all of it. Bare side: `sqlmesh run` in an identical copy.
// Each rep starts from fresh copies of a project whose prod exists but whose models were never
// evaluated (every model due); the two sides alternate which goes first, after one warm-up of each. For the Dagster run it
// prints the timeline read back from Dagster's event log: run start → step start → Pipes opened →
// SQLMesh started → SQLMesh finished → last materialization recorded → run end.
//
//   node scripts/bench-dagster.mjs [--models 100,1000] [--reps 3]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchProject, fmt, median, python, root, sqlmesh, timed } from './bench-lib.mjs';

const { values } = parseArgs({ options: { models: { type: 'string', default: '100,1000' }, reps: { type: 'string', default: '3' } } });
const sizes = values.models.split(',').map(Number);
const reps = Number(values.reps);
const dagster = join(root, '.venv', 'bin', 'dagster');

const DEFINITIONS = `
import os
from sqlmesh_pipes import sqlmesh_definitions_factory

defs = sqlmesh_definitions_factory(project_dir=os.environ["BENCH_PROJECT"], manifest_path=os.environ["BENCH_MANIFEST"])
`;
const MILESTONES = [
  ['step_start', 'run start → step start'],
  ['opened', 'step start → Pipes opened'],
  ['sqlmesh_start', 'opened → SQLMesh started'],
  ['sqlmesh_end', 'SQLMesh running'],
  ['last_materialization', 'SQLMesh finished → last materialization'],
  ['run_end', 'last materialization → run end'],
];

/** A materialization in a fresh process against the size's Dagster home (one per size, kept
 * across reps as a deployment keeps its instance: its sqlite storage is created on first use). */
function dagsterRun(project, dir) {
  const home = join(dir, '..', 'dagster_home');
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'dagster.yaml'), 'telemetry:\n  enabled: false\n');
  const definitions = join(dir, '..', 'definitions.py');
  writeFileSync(definitions, DEFINITIONS);
  const env = { DAGSTER_HOME: home, BENCH_PROJECT: dir, BENCH_MANIFEST: project.manifest };
  // Models only: the generated project's external sources are not materializable.
  const { ms } = timed('bench-dagster', dagster, ['asset', 'materialize', '-f', definitions, '--select', 'kind:sqlmesh'], dir, env);
  const timeline = JSON.parse(timed('bench-dagster', python, [join(root, 'scripts', 'bench-dagster-timeline.py')], dir, env).stdout);
  return { seconds: ms / 1000, timeline };
}

for (const models of sizes) {
  const project = benchProject(`bench-dagster-${models}`, models);
  try {
    const bare = [];
    const runs = [];
    // Warm-up (not counted): creates the Dagster home's storage, fills OS caches for both sides.
    dagsterRun(project, project.copy('dagster'));
    timed('bench-dagster', sqlmesh, ['run'], project.copy('bare'));
    for (let rep = 0; rep < reps; rep += 1) {
      const bareRun = () => bare.push(timed('bench-dagster', sqlmesh, ['run'], project.copy('bare')).ms / 1000);
      const dagsterSide = () => runs.push(dagsterRun(project, project.copy('dagster')));
      if (rep % 2 === 0) {
        bareRun();
        dagsterSide();
      } else {
        dagsterSide();
        bareRun();
      }
      const { timeline } = runs.at(-1);
      if (timeline.status !== 'SUCCESS' || timeline.materializations !== models) {
        process.stderr.write(`bench-dagster: the Dagster run did not materialize every model: ${JSON.stringify(timeline)}\n`);
        process.exit(1);
      }
    }
    const whole = runs.map((r) => r.seconds);
    const ratio = whole.map((s, i) => s / bare[i]);
    const t = runs.map((r) => r.timeline);
    const gap = (to, from) => t.map((x) => x[to] - (from ? x[from] : 0));
    const lines = [
      `${models} models, ${reps} interleaved reps (${t[0].materializations} materializations, ${t[0].checks} check results per Dagster run)`,
      `  bare sqlmesh run:                 min ${Math.min(...bare).toFixed(2)}s  median ${median(bare).toFixed(2)}s  [${fmt(bare)}]`,
      `  dagster asset materialize:        min ${Math.min(...whole).toFixed(2)}s  median ${median(whole).toFixed(2)}s  [${fmt(whole)}]`,
      `  ratio (per rep):                  min ${Math.min(...ratio).toFixed(2)}×  median ${median(ratio).toFixed(2)}×  [${fmt(ratio)}]`,
      `  process start → run start:        median ${median(whole.map((s, i) => s - (t[i].run_end ?? 0))).toFixed(2)}s (load, planning, process exit)`,
    ];
    let previous = null;
    for (const [mark, label] of MILESTONES) {
      lines.push(`  ${`${label}:`.padEnd(41)}median ${median(gap(mark, previous)).toFixed(2)}s  [${fmt(gap(mark, previous))}]`);
      previous = mark;
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    project.cleanup();
  }
}
