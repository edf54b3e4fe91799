import type { SelectedCheck } from '../extras.js';
import { UsageError } from '../errors.js';
import type { RunScope } from '../report/reporter.js';
import { defaultAssetKey, defaultCheckName } from '../report/names.js';
import type { ManifestIndex } from '../sqlmesh/manifest.js';
import type { RunSettings } from './run-settings.js';

/** The scope to report and the models SQLMesh must run (null: the whole project). */
export interface ResolvedScope {
  readonly scope: RunScope;
  /** Models to pass to `sqlmesh run --select-model` (no upstream), or null to run everything. */
  readonly select: readonly string[] | null;
  /** Asset keys for the mock context outside Dagster. */
  readonly assetKeys: readonly string[];
  /** Models with selected checks but no selected asset: SQLMesh does not run them (see below). */
  readonly checkOnlyModels: readonly string[];
}

function requireModel(index: ManifestIndex, name: string, origin: string): void {
  if (!index.modelByName(name)) {
    throw new UsageError(`${origin} names model ${JSON.stringify(name)}, which is not in the manifest — regenerate the manifest (sqlmesh-pipes manifest) or fix the selection`);
  }
}

/**
 * Under Dagster: the selected asset keys (Pipes context) mapped to models by our extras, and the
 * selected checks. Outside Dagster: --select-model or every model, with every audit as a check.
 */
export function resolveScope(index: ManifestIndex, settings: RunSettings, contextAssetKeys: readonly string[] | null): ResolvedScope {
  const models = new Map(index.manifest.models.map((model) => [model.name, model]));
  const extras = settings.extras;
  if (extras) {
    const inContext = new Set(contextAssetKeys ?? []);
    const assetKeys = new Map<string, string>();
    for (const [assetKey, model] of Object.entries(extras.models)) {
      requireModel(index, model, `asset ${assetKey}`);
      // Dagster refuses reports for keys outside the step's selection.
      if (contextAssetKeys === null || inContext.has(assetKey)) assetKeys.set(model, assetKey);
    }
    for (const check of extras.checks) requireModel(index, check.model, `check ${check.check_name}`);
    // SQLMesh audits an interval only while evaluating it. Evaluating a model whose asset is not
    // selected would change its table without Dagster recording a materialization, so a
    // checks-only selection does not run the model; its checks are reported as not evaluated.
    const checkOnlyModels = [...new Set(extras.checks.map((check) => check.model))].filter((model) => !assetKeys.has(model)).sort();
    return {
      scope: { assetKeys, checks: extras.checks, models },
      select: selectionOf(index, new Set(assetKeys.keys())),
      assetKeys: [...assetKeys.values()],
      checkOnlyModels,
    };
  }

  for (const name of settings.selectModels) requireModel(index, name, '--select-model');
  const names = settings.selectModels.length > 0 ? [...new Set(settings.selectModels)] : runnableModels(index).map((model) => model.name);
  const assetKeys = new Map<string, string>();
  const checks: SelectedCheck[] = [];
  for (const name of names) {
    const model = index.modelByName(name)!;
    const assetKey = defaultAssetKey(model);
    assetKeys.set(name, assetKey);
    model.audits.forEach((audit, auditIndex) =>
      checks.push({ asset_key: assetKey, check_name: defaultCheckName(model, auditIndex), model: name, audit: audit.name, audit_index: auditIndex }),
    );
  }
  return { scope: { assetKeys, checks, models }, select: selectionOf(index, new Set(names)), assetKeys: [...assetKeys.values()], checkOnlyModels: [] };
}

/** Every runnable model selected means a plain `sqlmesh run`; otherwise exactly these models. */
function selectionOf(index: ManifestIndex, selected: ReadonlySet<string>): string[] | null {
  const all = runnableModels(index).every((model) => selected.has(model.name));
  return all ? null : [...selected].sort();
}

/** Models SQLMesh evaluates: EMBEDDED ones are inlined into their consumers and have no table. */
function runnableModels(index: ManifestIndex) {
  return index.manifest.models.filter((model) => model.kind !== 'EMBEDDED');
}
