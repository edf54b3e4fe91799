#!/usr/bin/env node
// Benchmark: overhead of `sqlmesh-pipes run` over a bare `sqlmesh run` on the same generated
// project (target <= 1.05x). Each timed run starts from the same state: a copy of a project on
// which `plan --skip-backfill` created prod, so both commands evaluate every model's intervals.
//
//   node scripts/bench-run.mjs [--models 100] [--rounds 5] [--console json|text]
//
// Needs `npm run build` and the .venv (npm run setup). Prints medians and the ratio.
import { parseArgs } from 'node:util';
import { benchProject, cli, fmt, median, python, sqlmesh, timed } from './bench-lib.mjs';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '5' },
    console: { type: 'string', default: 'json' },
  },
});
const rounds = Number(values.rounds);
const project = benchProject('bench-run', values.models);
try {
  const bare = [];
  const ours = [];
  for (let round = 0; round < rounds; round += 1) {
    // Alternate the order so that neither side always runs on a warmer machine.
    const order = round % 2 === 0 ? ['bare', 'ours'] : ['ours', 'bare'];
    for (const side of order) {
      const dir = project.copy(side);
      if (side === 'bare') bare.push(timed('bench-run', sqlmesh, ['run'], dir).ms / 1000);
      else {
        const args = [
          cli,
          'run',
          '--project',
          dir,
          '--manifest',
          project.manifest,
          '--console',
          values.console,
          '--sqlmesh-python',
          python,
        ];
        ours.push(timed('bench-run', process.execPath, args, dir).ms / 1000);
      }
    }
  }
  const b = median(bare);
  const o = median(ours);
  process.stdout.write(
    `${values.models} models, ${rounds} rounds, console=${values.console}\n` +
      `bare sqlmesh run:      median ${b.toFixed(2)}s  [${fmt(bare)}]\n` +
      `sqlmesh-pipes run:     median ${o.toFixed(2)}s  [${fmt(ours)}]\n` +
      `ratio: ${(o / b).toFixed(3)}x (target <= 1.05x)\n`,
  );
} finally {
  project.cleanup();
}
