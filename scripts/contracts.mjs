#!/usr/bin/env node
// Writes the files generated from the zod contracts (src/contracts/): the JSON Schemas and the
// Python module both Python packages import. `npm run contracts` builds first; `npm test` fails
// when a generated file differs from what this would write (test/contracts/generated.test.ts).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from '../dist/contracts/generate.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let changed = 0;
for (const [path, content] of generatedFiles()) {
  const target = join(root, path);
  const before = await readFile(target, 'utf8').catch(() => null);
  if (before === content) continue;
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, content);
  changed += 1;
  process.stdout.write(`wrote ${path}\n`);
}
if (changed === 0) process.stdout.write('contracts: generated files are up to date\n');
