import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipesDefaultContextLoader } from '../../src/pipes/context-loader.js';
import { contextData } from './helpers.js';

const loader = new PipesDefaultContextLoader();

describe('PipesDefaultContextLoader', () => {
  const data = contextData({ asset_keys: ['x/y\\/z'], code_version_by_asset_key: { 'x/y\\/z': null }, extras: { n: null } });

  it('loads `path` and `data`, keeping nulls and the escaped key strings', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pipes-')), 'context');
    writeFileSync(path, JSON.stringify(data));
    expect(loader.loadContext({ path })).toEqual(data);
    expect(loader.loadContext({ data })).toEqual(data);
  });

  it('explains a bad payload, naming the field', () => {
    const { run_id: _, ...withoutRunId } = data;
    expect(() => loader.loadContext({ data: withoutRunId })).toThrowErrorMatchingInlineSnapshot(`
      [PipesError: Invalid Dagster Pipes context from the "data" context param:
      ✖ Invalid input: expected string, received undefined
        → at run_id]
    `);
  });

  it('refuses unknown params and wrong types', () => {
    expect(() => loader.loadContext({ bucket: 'b' })).toThrow(
      'Invalid params for PipesDefaultContextLoader: expected key "path" or "data", received {"bucket":"b"}',
    );
    expect(() => loader.loadContext({ data: [] })).toThrow(/expected object, got array/);
    expect(() => loader.loadContext({ path: '/nonexistent/ctx' })).toThrow(
      /^Cannot read the Dagster Pipes context file \/nonexistent\/ctx/,
    );
  });
});
