import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultAssetKey, defaultCheckName } from '../../src/report/names.js';
import { manifestModel } from '../helpers/manifest.js';

// The same cases as the Python translator's tests: one file, read by both suites.
const cases = JSON.parse(readFileSync(new URL('../fixtures/contracts/default-names.json', import.meta.url), 'utf8')) as {
  check_names: { audits: string[]; names: string[] }[];
  asset_keys: { catalog: string | null; schema: string; table: string; key: string }[];
};

describe('default names (same rules and cases as the Python translator)', () => {
  it.each(cases.check_names.map((c) => [c.audits, c.names]))('check names %j → %j', (audits, expected) => {
    const model = manifestModel('shop.a', { audits: audits.map((name) => ({ name, args: {}, blocking: true })) });
    expect(audits.map((_, i) => defaultCheckName(model, i))).toEqual(expected);
  });

  it.each(cases.asset_keys)('asset key of $catalog $schema $table → $key', ({ catalog, schema, table, key }) => {
    expect(defaultAssetKey(manifestModel(`${schema}.${table}`, { catalog, schema, table }))).toBe(key);
  });
});
