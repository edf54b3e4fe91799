#!/usr/bin/env node
// Benchmark: manifest build time with and without column lineage (`--no-column-lineage`), on
// generated projects, with real SQLMesh. SQLMesh's cache is warmed by the benchProject build
// (with lineage) first, so every timed build loads the project the same way; the sides alternate.
//
//   node scripts/bench-manifest.mjs [--models 100,1000] [--rounds 3]
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchProject, cli, fmt, median, timed } from './bench-lib.mjs';

const { values } = parseArgs({ options: { models: { type: 'string', default: '100,1000' }, rounds: { type: 'string', default: '3' } } });

for (const models of values.models.split(',').map((n) => n.trim())) {
  const project = benchProject('bench-manifest', models, { plan: false });
  try {
    const sides = { with: [], without: [] };
    const sizes = {};
    for (let round = 0; round < Number(values.rounds); round += 1) {
      for (const side of round % 2 === 0 ? ['with', 'without'] : ['without', 'with']) {
        const out = join(project.template, '..', `manifest-${side}.json`);
        const flags = side === 'with' ? [] : ['--no-column-lineage'];
        const { ms } = timed(
          side,
          process.execPath,
          [cli, 'manifest', '--project', project.template, '--out', out, ...flags],
          project.template,
        );
        sides[side].push(ms / 1000);
        sizes[side] = statSync(out).size;
      }
    }
    const mb = (bytes) => (bytes / 1024 / 1024).toFixed(2);
    process.stdout.write(
      `${models} models, ${values.rounds} rounds (warm SQLMesh cache)\n` +
        `  without column lineage: median ${median(sides.without).toFixed(2)} s  [${fmt(sides.without)}]  ${mb(sizes.without)} MB\n` +
        `  with column lineage:    median ${median(sides.with).toFixed(2)} s  [${fmt(sides.with)}]  ${mb(sizes.with)} MB\n` +
        `  lineage costs:          ${(median(sides.with) - median(sides.without)).toFixed(2)} s\n`,
    );
  } finally {
    project.cleanup();
  }
}
