import { describe, expect, it } from 'vitest';
import { resolveScope } from '../../src/commands/run-scope.js';
import { type RunFlags, resolveRunSettings } from '../../src/commands/run-settings.js';
import { EXTRAS_VERSION, type RunExtras } from '../../src/contracts/run-extras.js';
import { indexManifest, type Manifest } from '../../src/sqlmesh/manifest.js';
import { manifestModel, manifestOf } from '../helpers/manifest.js';

const audit = (name: string) => ({ name, args: {}, blocking: true });
const manifest: Manifest = manifestOf([
  manifestModel('shop.a', { audits: [audit('not_null'), audit('not_null')] }),
  manifestModel('shop.b'),
  manifestModel('shop.inline', { kind: 'EMBEDDED' }),
]);
const index = indexManifest(manifest);
const flags = (overrides: Partial<RunFlags> = {}): RunFlags => ({ argv: [], projects: ['/p'], selectModels: [], ...overrides });
const extras = (overrides: Partial<RunExtras>): RunExtras => ({ version: EXTRAS_VERSION, models: {}, checks: [], ...overrides });

describe('resolveScope outside Dagster', () => {
  it('every runnable model (not EMBEDDED) with every audit as a check; a plain run', () => {
    const { scope, select, mockAssetKeys } = resolveScope(index, resolveRunSettings(flags(), null), null);
    expect(select).toBeNull();
    expect(mockAssetKeys).toEqual(['db/shop/a', 'db/shop/b']);
    expect(scope.checks.map((c) => c.check_name)).toEqual(['not_null', 'not_null_2']);
  });

  it('--select-model: exactly those models', () => {
    const { select, mockAssetKeys } = resolveScope(index, resolveRunSettings(flags({ selectModels: ['shop.b'] }), null), null);
    expect([select, mockAssetKeys]).toEqual([['shop.b'], ['db/shop/b']]);
  });

  it('an unknown model is a usage error naming it and the fix', () => {
    expect(() => resolveScope(index, resolveRunSettings(flags({ selectModels: ['shop.x'] }), null), null)).toThrow(
      '--select-model names "shop.x", which is not in the manifest — regenerate the manifest (sqlmesh-pipes manifest) or fix the selection',
    );
  });
});

describe('resolveScope under Dagster', () => {
  const settings = (e: RunExtras) => resolveRunSettings(flags({ projects: [] }), { ...e, project_dir: '/p' });

  it('maps the context keys to models through the extras; only keys in the context are reported', () => {
    const e = extras({ models: { 'k/a': 'shop.a', 'k/b': 'shop.b' } });
    const { scope, select } = resolveScope(index, settings(e), ['k/a']);
    expect([...scope.assetKeys]).toEqual([['shop.a', 'k/a']]);
    expect(select).toEqual(['shop.a']);
  });

  it('checks only: the model is not run, and listed as check-only', () => {
    const e = extras({ checks: [{ asset_key: 'k/a', check_name: 'not_null', model: 'shop.a', audit: 'not_null', audit_index: 0 }] });
    const resolved = resolveScope(index, settings(e), []);
    expect([resolved.select, resolved.checkOnlyModels]).toEqual([[], ['shop.a']]);
  });

  it('a model the manifest does not know is a usage error', () => {
    expect(() => resolveScope(index, settings(extras({ models: { 'k/x': 'shop.x' } })), ['k/x'])).toThrow(/asset k\/x names "shop.x"/);
  });
});

describe('resolveRunSettings', () => {
  it('extras win over flags; defaults apply', () => {
    const s = resolveRunSettings(flags({ environment: 'dev', gateway: 'g1' }), extras({ environment: 'prod', concurrent_tasks: 3 }));
    expect(s).toMatchObject({ environment: 'prod', gateway: 'g1', concurrentTasks: 3, console: 'json', ignoreCron: false });
  });

  it('refuses --select-model under Dagster', () => {
    expect(() => resolveRunSettings(flags({ selectModels: ['shop.a'] }), extras({}))).toThrow(/--select-model is not used under Dagster/);
  });
});

describe('resolveScope: restate_models', () => {
  const settings = (e: Partial<RunExtras>) => resolveRunSettings(flags({ projects: [] }), { ...extras(e), project_dir: '/p' });
  const both = { models: { 'db/shop/a': 'shop.a', 'db/shop/b': 'shop.b' } };

  it('a selected model can be restated (duplicates once)', () => {
    const resolved = settings({ ...both, restate_models: ['shop.a', 'shop.a'] });
    expect(resolved.restateModels).toEqual(['shop.a']);
    expect(() => resolveScope(index, resolved, ['db/shop/a', 'db/shop/b'])).not.toThrow();
  });

  it.each([
    [['shop.x'], 'restate_models names "shop.x", which is not in the manifest'],
    [['shop.inline'], 'restate_models names "shop.inline", which is not a model SQLMesh builds — restate models only'],
    [
      ['shop.b'],
      'restate_models names shop.b, whose asset is not selected in this run — select it (and its downstream models) to restate it',
    ],
  ])('%j: one-line usage error', (restate, message) => {
    expect(() => resolveScope(index, settings({ ...both, restate_models: restate }), ['db/shop/a'])).toThrow(message);
  });
});
