import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Scenario tests spawn real SQLMesh; DuckDB projects are per-test scratch copies.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
