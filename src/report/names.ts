import type { ManifestModel } from '../contracts/manifest.js';
import { assetKeyToString } from '../pipes/asset-keys.js';

// The Dagster side's defaults (python_shim/src/sqlmesh_pipes/translator.py), needed only
// outside Dagster, where the mock context stands in for what the translator would name.

const INVALID_NAME_CHARS = /[^A-Za-z0-9_]/g;

/** `[catalog, schema, table]` as a Pipes asset-key string, like `default_asset_key`. */
export function defaultAssetKey(model: ManifestModel): string {
  return assetKeyToString([...(model.catalog ? [model.catalog] : []), model.schema, model.table]);
}

/** The audit's name, `_2`, `_3`… for later uses (bumped past collisions), like `default_check_name`. */
export function defaultCheckName(model: ManifestModel, auditIndex: number): string {
  const used = new Set<string>();
  let name = '';
  for (const audit of model.audits.slice(0, auditIndex + 1)) {
    const base = audit.name.replace(INVALID_NAME_CHARS, '_') || '_';
    name = base;
    for (let n = 2; used.has(name); n += 1) name = `${base}_${n}`;
    used.add(name);
  }
  return name;
}
