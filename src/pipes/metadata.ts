// Typed constructors for the 17 metadata types Dagster accepts, and the normalization applied to
// a reported metadata map. Int vs float is explicit: `md.float(2)` is written as `2.0`.
import { z } from 'zod';
import { assetKeyPath } from './asset-keys.js';
import { PipesError } from './errors.js';
import { type PipesMetadataMap, PipesMetadataValue, type PipesTableColumn, type PipesTableRecord } from './metadata-schema.js';

export {
  PipesMetadataMap,
  PipesMetadataType,
  PipesMetadataValue,
  PipesTableColumn,
  PipesTableColumnConstraints,
  PipesTableRecord,
} from './metadata-schema.js';

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A metadata entry as a caller may pass it: a typed value, or a raw value Dagster infers. */
export type PipesMetadataInput = PipesMetadataValue | string | number | boolean | null | JsonValue[];
/** A metadata map as a caller may pass it; `undefined` entries are left out. */
export type PipesMetadataMapInput = Readonly<Record<string, PipesMetadataInput | undefined>>;

/** One column dependency of `md.tableColumnLineage`; `asset_key` as escaped string or parts. */
export interface PipesColumnDepInput {
  readonly asset_key: string | readonly string[];
  readonly column_name: string;
}

function checked(value: { raw_value: unknown; type: string }, helper: string): PipesMetadataValue {
  const parsed = PipesMetadataValue.safeParse(value);
  const where = helper.includes(' ') ? helper : `md.${helper}`;
  if (!parsed.success)
    throw new PipesError(`${where}: invalid raw value for metadata type "${value.type}":\n${z.prettifyError(parsed.error)}`);
  return value as PipesMetadataValue;
}

function keyParts(key: string | readonly string[]): string[] {
  return typeof key === 'string' ? assetKeyPath(key) : [...key];
}

/** Metadata value constructors, one per Dagster type. */
export const md = {
  /** Plain text. */
  text: (value: string | null) => checked({ raw_value: value, type: 'text' }, 'text'),
  /** A URL, rendered as a link. */
  url: (value: string | null) => checked({ raw_value: value, type: 'url' }, 'url'),
  /** A filesystem path. */
  path: (value: string | null) => checked({ raw_value: value, type: 'path' }, 'path'),
  /** A path to a notebook. */
  notebook: (value: string | null) => checked({ raw_value: value, type: 'notebook' }, 'notebook'),
  /** Markdown. */
  md: (value: string | null) => checked({ raw_value: value, type: 'md' }, 'md'),
  /** JSON data: an object, an array, a string or null (Dagster refuses a bare number or boolean). */
  json: (value: { [key: string]: JsonValue } | JsonValue[] | string | null) => checked({ raw_value: value, type: 'json' }, 'json'),
  /** A float; whole numbers are written as `2.0`, NaN/Infinity as Python's literals. */
  float: (value: number | null) => checked({ raw_value: value, type: 'float' }, 'float'),
  /** An integer (bigint for values beyond 2^53). */
  int: (value: number | bigint | null) => checked({ raw_value: value, type: 'int' }, 'int'),
  /** A boolean. */
  bool: (value: boolean | null) => checked({ raw_value: value, type: 'bool' }, 'bool'),
  /** A Dagster run id, rendered as a link to the run. */
  dagsterRun: (runId: string) => checked({ raw_value: runId, type: 'dagster_run' }, 'dagsterRun'),
  /**
   * A link to an asset. Dagster reads it with `AssetKey.from_user_string` (split on "/", no
   * escaping), so a key part containing "/" cannot be sent and is refused.
   */
  asset: (key: string | readonly string[]) => {
    const parts = keyParts(key);
    if (parts.length === 0 || parts.some((part) => part.includes('/'))) {
      throw new PipesError(
        `md.asset: cannot send asset key ${JSON.stringify(parts)}: Dagster splits \`asset\` metadata on "/" without unescaping`,
      );
    }
    return checked({ raw_value: parts.join('/'), type: 'asset' }, 'asset');
  },
  /** An explicit null. */
  null: () => checked({ raw_value: null, type: 'null' }, 'null'),
  /** A table: scalar records and the column schema. */
  table: (value: { readonly records: readonly PipesTableRecord[]; readonly schema: readonly PipesTableColumn[] }) =>
    checked({ raw_value: { records: [...value.records], schema: [...value.schema] }, type: 'table' }, 'table'),
  /** A table schema (columns with type, description, tags, constraints). */
  tableSchema: (columns: readonly PipesTableColumn[]) =>
    checked({ raw_value: { columns: [...columns] }, type: 'table_schema' }, 'tableSchema'),
  /** Column lineage: for each column, the upstream asset columns it depends on. */
  tableColumnLineage: (depsByColumn: Readonly<Record<string, readonly PipesColumnDepInput[]>>) => {
    const deps_by_column = Object.fromEntries(
      Object.entries(depsByColumn).map(([column, deps]) => [
        column,
        deps.map((dep) => ({ asset_key: keyParts(dep.asset_key), column_name: dep.column_name })),
      ]),
    );
    return checked({ raw_value: { deps_by_column }, type: 'table_column_lineage' }, 'tableColumnLineage');
  },
  /** A point in time: a Date, or seconds since the Unix epoch. */
  timestamp: (value: Date | number) =>
    checked({ raw_value: value instanceof Date ? value.getTime() / 1000 : value, type: 'timestamp' }, 'timestamp'),
  /** A raw value whose type Dagster infers (`__infer__`). */
  infer: (value: JsonValue) => checked({ raw_value: value, type: '__infer__' }, 'infer'),
} as const;

const VALUE_KEYS = ['raw_value', 'type'];

/**
 * The metadata map to send: typed values kept, raw values wrapped as `__infer__`, undefined
 * entries dropped; null when nothing is left (as the Python writer sends). `method` names the
 * caller in errors.
 */
export function normalizeMetadata(metadata: PipesMetadataMapInput | null | undefined, method: string): PipesMetadataMap | null {
  if (metadata === null || metadata === undefined) return null;
  const out: PipesMetadataMap = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (value === undefined) continue;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const keys = Object.keys(value).sort();
      if (keys.length !== 2 || keys[0] !== VALUE_KEYS[0] || keys[1] !== VALUE_KEYS[1]) {
        throw new PipesError(
          `Invalid metadata entry "${key}" for \`${method}\`: expected a raw value or {raw_value, type} (use the md.* helpers), got keys ${JSON.stringify(Object.keys(value))}`,
        );
      }
      out[key] = checked(value, `${method} metadata "${key}"`);
    } else {
      out[key] = checked({ raw_value: value, type: '__infer__' }, `${method} metadata "${key}"`);
    }
  }
  return Object.keys(out).length === 0 ? null : out;
}
