import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from '../../src/contracts/generate.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('files generated from the zod contracts (npm run contracts)', () => {
  for (const [path, content] of generatedFiles()) {
    it(`${path} is up to date`, async () => {
      const onDisk = await readFile(join(root, path), 'utf8').catch(() => '(missing)');
      // A plain boolean first: a diff of a 1000-line module helps nobody; the fix is one command.
      expect(onDisk === content, `${path} is stale: run \`npm run contracts\` and commit the result`).toBe(true);
    });
  }
});
