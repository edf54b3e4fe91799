#!/usr/bin/env node
// Benchmark: a Dagster materialization as a deployment runs it, next to a bare `sqlmesh run`.
//
// Dagster side: a fresh process `dagster asset materialize -f definitions.py --select <models>`
// with a sqlite Dagster home (DAGSTER_HOME, telemetry off) at the default INFO log level — code
// location load, run, event-log writes, all of it. Bare side: `sqlmesh run` in an identical copy.
// Floor: the same command on definitions with the same assets and checks whose step only yields
// a passed result for each (no executor, no SQLMesh): what Dagster alone costs to plan and record
// this run. Each rep starts from fresh copies of a project whose prod exists but whose models were
// never evaluated (every model due); the sides rotate which goes first, after one warm-up of each.
// For the Dagster run it prints the timeline read back from Dagster's event log, from the process
// start to its exit.
//
//   node scripts/bench-dagster.mjs [--models 10,100,1000] [--reps 3] [--warmups 1]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchProject, fmt, median, python, root, sqlmesh, timed } from './bench-lib.mjs';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '10,100,1000' },
    reps: { type: 'string', default: '3' },
    warmups: { type: 'string', default: '1' },
  },
});
const sizes = values.models.split(',').map(Number);
const reps = Number(values.reps);
const warmups = Number(values.warmups);
const dagster = join(root, '.venv', 'bin', 'dagster');

const DEFINITIONS = `
import os
from sqlmesh_pipes import sqlmesh_definitions_factory

defs = sqlmesh_definitions_factory(project_dir=os.environ["BENCH_PROJECT"], manifest_path=os.environ["BENCH_MANIFEST"])
`;
// The floor: our specs (same asset keys, deps and checks), a step that records one passed result
// for each selected asset and check, upstream first, and nothing else.
const FLOOR = `
import os
from dagster import AssetCheckResult, AssetExecutionContext, Definitions, MaterializeResult, in_process_executor, multi_asset
from sqlmesh_pipes import SQLMeshResource
from sqlmesh_pipes.asset_factory import sqlmesh_specs_for

specs = sqlmesh_specs_for(SQLMeshResource(project_dir=os.environ["BENCH_PROJECT"], manifest_path=os.environ["BENCH_MANIFEST"]))

@multi_asset(specs=list(specs.asset_specs), check_specs=list(specs.check_specs), can_subset=True, allow_arbitrary_check_specs=True)
def floor(context: AssetExecutionContext):
    deps = context.assets_def.asset_deps
    done = set()
    def record(key):
        if key in done or key not in context.selected_asset_keys:
            return
        done.add(key)
        for dep in deps.get(key, ()):
            yield from record(dep)
        yield MaterializeResult(asset_key=key)
        for check in context.selected_asset_check_keys:
            if check.asset_key == key:
                yield AssetCheckResult(asset_key=key, check_name=check.name, passed=True)
    for key in sorted(context.selected_asset_keys):
        yield from record(key)
    for check in context.selected_asset_check_keys:  # checks of external models
        if check.asset_key not in context.selected_asset_keys:
            yield AssetCheckResult(asset_key=check.asset_key, check_name=check.name, passed=True)

defs = Definitions(assets=[floor, *specs.external_specs], executor=in_process_executor)
`;
const MILESTONES = [
  ['run_created', 'process start → run created', 'Python, import dagster, load definitions, create the run'],
  ['run_start', 'run created → run start', "Dagster's planned events, one per asset and check"],
  ['step_start', 'run start → step start', ''],
  ['opened', 'step start → Pipes opened', 'Pipes context, executor start'],
  ['sqlmesh_start', 'opened → SQLMesh started', 'manifest, SQLMesh start-up and project load'],
  ['sqlmesh_end', 'SQLMesh running', "until its run ended, by the executor's clock"],
  ['last_result', 'SQLMesh finished → last result recorded', 'what Dagster still had to record'],
  ['run_end', 'last result → run end', ''],
  ['exit', 'run end → process exit', ''],
];
/** A materialization in a fresh process against the side's Dagster home (one per size and side,
 * kept across reps as a deployment keeps its instance: its sqlite storage is created on first use). */
function dagsterRun(project, dir, side, source) {
  const home = join(dir, '..', `dagster_home_${side}`);
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'dagster.yaml'), 'telemetry:\n  enabled: false\n');
  const definitions = join(dir, '..', `definitions_${side}.py`);
  writeFileSync(definitions, source);
  const env = { DAGSTER_HOME: home, BENCH_PROJECT: dir, BENCH_MANIFEST: project.manifest };
  const started = Date.now() / 1000;
  // Models only: the generated project's external sources are not materializable.
  const { ms } = timed('bench-dagster', dagster, ['asset', 'materialize', '-f', definitions, '--select', 'kind:sqlmesh'], dir, env);
  const args = [join(root, 'scripts', 'bench-dagster-timeline.py'), String(started)];
  const timeline = JSON.parse(timed('bench-dagster', python, args, dir, env).stdout);
  return { seconds: ms / 1000, timeline: { ...timeline, exit: ms / 1000 } };
}

/** Exit the benchmark unless the run materialized every model. */
function requireComplete({ timeline }, models, side) {
  if (timeline.status !== 'SUCCESS' || timeline.materializations !== models) {
    process.stderr.write(`bench-dagster: the ${side} run did not materialize every model: ${JSON.stringify(timeline)}\n`);
    process.exit(1);
  }
}

const summary = (label, xs) => `  ${label.padEnd(34)}min ${Math.min(...xs).toFixed(2)}s  median ${median(xs).toFixed(2)}s  [${fmt(xs)}]`;

for (const models of sizes) {
  const project = benchProject(`bench-dagster-${models}`, models);
  try {
    const runs = { bare: [], dagster: [], floor: [] };
    const sides = {
      bare: () => timed('bench-dagster', sqlmesh, ['run'], project.copy('bare')).ms / 1000,
      dagster: () => dagsterRun(project, project.copy('dagster'), 'dagster', DEFINITIONS),
      floor: () => dagsterRun(project, project.copy('floor'), 'floor', FLOOR),
    };
    // Warm-up (not counted): creates the Dagster homes' storage, fills OS caches for every side.
    for (let i = 0; i < warmups; i += 1) for (const side of Object.values(sides)) side();
    const order = Object.keys(sides);
    for (let rep = 0; rep < reps; rep += 1) {
      for (let i = 0; i < order.length; i += 1) {
        const side = order[(rep + i) % order.length];
        runs[side].push(sides[side]());
        if (side !== 'bare') requireComplete(runs[side].at(-1), models, side);
      }
    }
    const whole = runs.dagster.map((r) => r.seconds);
    const floor = runs.floor.map((r) => r.seconds);
    const ratio = whole.map((s, i) => s / runs.bare[i]);
    const floorRatio = floor.map((s, i) => s / runs.bare[i]);
    const t = runs.dagster.map((r) => r.timeline);
    const gap = (to, from) => t.map((x) => x[to] - (from ? x[from] : 0));
    const lines = [
      `${models} models, ${reps} interleaved reps (per Dagster run: ${t[0].materializations} materializations, ${t[0].checks} check results, ${t[0].planned} planned events, ${t[0].events} events in all)`,
      summary('bare sqlmesh run:', runs.bare),
      summary('dagster asset materialize:', whole),
      summary('Dagster floor (no SQLMesh):', floor),
      `  ${'ratio to bare (per rep):'.padEnd(34)}min ${Math.min(...ratio).toFixed(2)}×  median ${median(ratio).toFixed(2)}×  [${fmt(ratio)}]`,
      `  ${'floor ratio to bare (per rep):'.padEnd(34)}min ${Math.min(...floorRatio).toFixed(2)}×  median ${median(floorRatio).toFixed(2)}×  [${fmt(floorRatio)}]`,
      '  timeline of the Dagster run (medians):',
    ];
    let previous = null;
    for (const [mark, label, what] of MILESTONES) {
      const gaps = gap(mark, previous);
      lines.push(`    ${`${label}:`.padEnd(42)}${median(gaps).toFixed(2)}s  [${fmt(gaps)}]${what ? `  ${what}` : ''}`);
      previous = mark;
    }
    const f = runs.floor.map((r) => r.timeline);
    const floorGap = (to, from) => median(f.map((x) => x[to] - x[from])).toFixed(2);
    lines.push(
      `  timeline of the floor run (medians): process start → run created ${median(f.map((x) => x.run_created)).toFixed(2)}s, ` +
        `→ run start ${floorGap('run_start', 'run_created')}s, → last result ${floorGap('last_result', 'run_start')}s, ` +
        `→ run end ${floorGap('run_end', 'last_result')}s, → process exit ${floorGap('exit', 'run_end')}s`,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    project.cleanup();
  }
}
