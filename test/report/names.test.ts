import { describe, expect, it } from 'vitest';
import { defaultAssetKey, defaultCheckName } from '../../src/report/names.js';
import { manifestModel } from '../helpers/manifest.js';

const audits = (...names: string[]) => names.map((name) => ({ name, args: {}, blocking: true }));

describe('default names (same rules as the Python translator)', () => {
  it.each([
    [['not_null'], ['not_null']],
    [
      ['not_null', 'not_null'],
      ['not_null', 'not_null_2'],
    ],
    [
      ['a', 'a', 'a_2', 'a'],
      ['a', 'a_2', 'a_2_2', 'a_3'],
    ],
    [
      ['my-audit', 'my audit'],
      ['my_audit', 'my_audit_2'],
    ],
  ])('%j → %j', (names, expected) => {
    const model = manifestModel('shop.a', { audits: audits(...names) });
    expect(names.map((_, i) => defaultCheckName(model, i))).toEqual(expected);
  });

  it('asset key: catalog/schema/table, escaped', () => {
    expect(defaultAssetKey(manifestModel('shop.a'))).toBe('db/shop/a');
    expect(defaultAssetKey(manifestModel('shop.a', { catalog: null }))).toBe('shop/a');
    expect(defaultAssetKey(manifestModel('shop.a', { table: 'x/y' }))).toBe('db/shop/x\\/y');
  });
});
