import type { SelectedCheck } from '../contracts/run-extras.js';
import { UsageError } from '../errors.js';
import { defaultAssetKey, defaultCheckName } from '../report/names.js';
import type { RunScope } from '../report/reporter.js';
import type { ManifestIndex } from '../sqlmesh/manifest.js';
import type { RunSettings } from './run-settings.js';

/** The scope to report and the models SQLMesh must run (null: the whole project). */
export interface ResolvedScope {
  readonly scope: RunScope;
  /** Models to pass to `sqlmesh run --select-model` (no upstream), or null to run everything. */
  readonly select: readonly string[] | null;
  /** The step's asset keys for the mock context outside Dagster (`scope.assetKeys` maps them from models). */
  readonly mockAssetKeys: readonly string[];
  /** Keys of checked assets that are not this step's own (external models): see PipesContext.allowCheckAssetKeys. */
  readonly checkAssetKeys: readonly string[];
  /** Models with selected checks but no selected asset: audited in place, never run (see below). */
  readonly checkOnlyModels: readonly string[];
  /** Standalone audits with selected checks that this (partial) run cannot evaluate (see below). */
  readonly unrunnableAudits: readonly string[];
}

function requireNode(index: ManifestIndex, name: string, origin: string): void {
  if (!index.nodes.has(name)) {
    throw new UsageError(
      `${origin} names ${JSON.stringify(name)}, which is not in the manifest — regenerate the manifest (sqlmesh-pipes manifest) or fix the selection`,
    );
  }
}

/**
 * Under Dagster: the selected asset keys (Pipes context) mapped to models by our extras, and the
 * selected checks. Outside Dagster: --select-model or every model, with every audit (of the
 * models, of the external models they read, and the standalone audits) as a check.
 */
export function resolveScope(index: ManifestIndex, settings: RunSettings, contextAssetKeys: readonly string[] | null): ResolvedScope {
  const resolved = resolveSelection(index, settings, contextAssetKeys);
  checkRestatement(index, settings.restateModels, resolved);
  return resolved;
}

/** A restated model must be a model whose asset this run reports: its table is rewritten. */
function checkRestatement(index: ManifestIndex, restate: readonly string[], resolved: ResolvedScope): void {
  for (const name of restate) {
    requireNode(index, name, 'restate_models');
    const model = index.modelByName(name);
    if (!model || model.kind === 'EMBEDDED') {
      throw new UsageError(`restate_models names ${JSON.stringify(name)}, which is not a model SQLMesh builds — restate models only`);
    }
    if (!resolved.scope.assetKeys.has(name)) {
      throw new UsageError(
        `restate_models names ${name}, whose asset is not selected in this run — select it (and its downstream models) to restate it`,
      );
    }
  }
}

function resolveSelection(index: ManifestIndex, settings: RunSettings, contextAssetKeys: readonly string[] | null): ResolvedScope {
  const models = new Map(index.manifest.models.map((model) => [model.name, model]));
  const extras = settings.extras;
  if (extras) {
    const inContext = new Set(contextAssetKeys ?? []);
    const assetKeys = new Map<string, string>();
    for (const [assetKey, model] of Object.entries(extras.models)) {
      requireNode(index, model, `asset ${assetKey}`);
      // Dagster refuses reports for keys outside the step's selection.
      if (contextAssetKeys === null || inContext.has(assetKey)) assetKeys.set(model, assetKey);
    }
    for (const check of extras.checks) requireNode(index, check.model, `check ${check.check_name}`);
    return scoped(index, models, assetKeys, extras.checks);
  }

  for (const name of settings.selectModels) {
    if (!index.modelByName(name)) requireNode(index, name, '--select-model');
  }
  const names = settings.selectModels.length > 0 ? [...new Set(settings.selectModels)] : runnableModels(index).map((model) => model.name);
  const assetKeys = new Map<string, string>();
  const checks: SelectedCheck[] = [];
  for (const name of names) {
    const model = index.modelByName(name);
    if (!model) continue;
    const assetKey = defaultAssetKey(model);
    assetKeys.set(name, assetKey);
    checks.push(...checksOf(name, model.audits, assetKey, (auditIndex) => defaultCheckName(model, auditIndex)));
  }
  // Outside Dagster the checks of the other nodes are named after the node, like its asset would be:
  // the selected ones, or every one when the whole project runs.
  const others = settings.selectModels.length > 0 ? names.map((name) => index.nodes.get(name)) : [...index.nodes.values()];
  for (const node of others) {
    if (!node || node.kind === 'model') continue;
    checks.push(...checksOf(node.name, node.audits, node.name.replaceAll('.', '/'), (auditIndex) => node.audits[auditIndex]!.name));
  }
  return scoped(index, models, assetKeys, checks);
}

/** One selected check per audit use of `node`. */
function checksOf(
  node: string,
  audits: readonly { readonly name: string }[],
  assetKey: string,
  checkName: (auditIndex: number) => string,
): SelectedCheck[] {
  return audits.map((audit, auditIndex) => ({
    asset_key: assetKey,
    check_name: checkName(auditIndex),
    model: node,
    audit: audit.name,
    audit_index: auditIndex,
  }));
}

function scoped(
  index: ManifestIndex,
  models: RunScope['models'],
  assetKeys: Map<string, string>,
  checks: readonly SelectedCheck[],
): ResolvedScope {
  const kindOf = (name: string) => index.nodes.get(name)?.kind;
  const checkNodes = [...new Set(checks.map((check) => check.model))];
  // Evaluating a model whose asset is not selected would change its table without Dagster
  // recording a materialization: a checks-only model is never run, only audited in place
  // (SQLMesh's audit-only evaluation, JSON console; see commands/run.ts).
  const checkOnlyModels = checkNodes.filter((node) => kindOf(node) === 'model' && !assetKeys.has(node)).sort();
  // Evaluating an external model runs only its audits (no table changes): selecting its checks runs it.
  const externals = checkNodes.filter((node) => kindOf(node) === 'external');
  const select = selectionOf(index, new Set([...assetKeys.keys(), ...externals]));
  const ownKeys = new Set(assetKeys.values());
  // `sqlmesh run --select-model` cannot select a standalone audit: SQLMesh runs them only in a
  // run of the whole project.
  const unrunnableAudits = select === null ? [] : checkNodes.filter((node) => kindOf(node) === 'audit').sort();
  return {
    scope: { assetKeys, checks, models, nodes: index.nodes },
    select,
    mockAssetKeys: [...assetKeys.values()],
    checkAssetKeys: [...new Set(checks.map((check) => check.asset_key))].filter((key) => !ownKeys.has(key)),
    checkOnlyModels,
    unrunnableAudits,
  };
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
