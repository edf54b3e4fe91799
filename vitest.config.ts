import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Scenario tests spawn real SQLMesh; DuckDB projects are per-test scratch copies. A SQLMesh
    // start costs seconds of CPU: on a busy 2-core machine a two-run scenario can take minutes,
    // so the limits are for hangs, not for speed (speed lives in scripts/bench*).
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Fewer SQLMesh processes at once per file: less contention, same total work.
    maxConcurrency: 3,
    pool: 'forks',
  },
});
