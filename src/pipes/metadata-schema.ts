// Metadata values as Dagster's orchestration side decodes them
// (`dagster/_core/definitions/metadata/external_metadata.py`, `metadata_value_from_external`).
// Each raw_value schema is the shape that function accepts for its type, verified against
// dagster 1.13: a wrong shape raises inside Dagster's reader thread and loses every later message,
// so it is refused here, before it is written.
import { z } from 'zod';

/** The 17 types Dagster accepts; anything else (e.g. `job`) fails with "Unexpected metadata type". */
export const PipesMetadataType = z.enum([
  '__infer__',
  'text',
  'url',
  'path',
  'notebook',
  'json',
  'md',
  'float',
  'int',
  'bool',
  'dagster_run',
  'asset',
  'null',
  'table',
  'table_schema',
  'table_column_lineage',
  'timestamp',
]);
export type PipesMetadataType = z.infer<typeof PipesMetadataType>;

// `z.number()` refuses NaN and ±Infinity; Python's json reads `NaN`/`Infinity` and Dagster keeps them.
const anyNumber = z.custom<number>((value) => typeof value === 'number', 'expected a number');
const finiteNumber = z.number();
/** Safe integers, or bigint for Python ints beyond 2^53 (written as plain digits). */
const integer = z.union([z.int(), z.bigint()]);

/** Dagster `TableColumnConstraints(**constraints)`: only these keys. */
export const PipesTableColumnConstraints = z.strictObject({
  nullable: z.boolean().optional(),
  unique: z.boolean().optional(),
  other: z.array(z.string()).optional(),
});
export type PipesTableColumnConstraints = z.infer<typeof PipesTableColumnConstraints>;

/** Dagster reads name, type and the optional description, tags, constraints of a column. */
export const PipesTableColumn = z.strictObject({
  name: z.string(),
  type: z.string(),
  description: z.string().nullable().optional(),
  tags: z.record(z.string(), z.string()).nullable().optional(),
  constraints: PipesTableColumnConstraints.nullable().optional(),
});
export type PipesTableColumn = z.infer<typeof PipesTableColumn>;

/** `TableRecord` values must be scalars (str, int, float, bool, None). */
export const PipesTableRecord = z.record(z.string(), z.union([z.string(), anyNumber, z.boolean(), z.null()]));
export type PipesTableRecord = z.infer<typeof PipesTableRecord>;

/** `table`: the schema is a bare list of columns here (unlike `table_schema`). */
export const PipesTableValue = z.strictObject({ records: z.array(PipesTableRecord), schema: z.array(PipesTableColumn) });
export const PipesTableSchemaValue = z.strictObject({ columns: z.array(PipesTableColumn) });
/**
 * `TableColumnDep(**dep)` coerces `asset_key` with `AssetKey.from_coercible`: a string becomes ONE
 * part ("a/b" → ["a/b"]), so the key is sent as its list of parts.
 */
export const PipesTableColumnDep = z.strictObject({ asset_key: z.array(z.string()).min(1), column_name: z.string() });
export const PipesTableColumnLineageValue = z.strictObject({
  deps_by_column: z.record(z.string(), z.array(PipesTableColumnDep)),
});

const entry = <T extends PipesMetadataType, R extends z.ZodType>(type: T, rawValue: R) =>
  z.strictObject({ raw_value: rawValue, type: z.literal(type) });

/** `{raw_value, type}` with exactly those keys; raw_value checked per type. */
export const PipesMetadataValue = z.discriminatedUnion('type', [
  entry('__infer__', z.json()),
  entry('text', z.string().nullable()),
  entry('url', z.string().nullable()),
  entry('path', z.string().nullable()),
  entry('notebook', z.string().nullable()),
  // JsonMetadataValue takes a Mapping, a Sequence (which includes str) or None; a bare number fails.
  entry('json', z.union([z.record(z.string(), z.json()), z.array(z.json()), z.string(), z.null()])),
  entry('md', z.string().nullable()),
  entry('float', anyNumber.nullable()),
  entry('int', integer.nullable()),
  entry('bool', z.boolean().nullable()),
  entry('dagster_run', z.string()),
  // `AssetKey.from_user_string`: parts joined by "/" with no escaping.
  entry('asset', z.string().min(1)),
  entry('null', z.null()),
  entry('table', PipesTableValue),
  entry('table_schema', PipesTableSchemaValue),
  entry('table_column_lineage', PipesTableColumnLineageValue),
  // Seconds since the Unix epoch; Dagster converts it with float().
  entry('timestamp', finiteNumber),
]);
export type PipesMetadataValue = z.infer<typeof PipesMetadataValue>;

export const PipesMetadataMap = z.record(z.string(), PipesMetadataValue);
export type PipesMetadataMap = z.infer<typeof PipesMetadataMap>;
