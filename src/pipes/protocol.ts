// The Dagster Pipes protocol (external side), declared first as data: the version, the method
// union, the context payload and every message's params as zod schemas, with the TypeScript
// types derived from them. Checked against dagster-pipes 1.13 (`dagster_pipes/__init__.py`) and
// the orchestration-side handler (`dagster/_core/pipes/context.py`), which calls each handler
// with `**params`: an extra or a missing key kills its reader thread, so params are strict.
import { z } from 'zod';
import { PipesMetadataMap } from './metadata-schema.js';

/** The protocol's version (not the package's); every message carries it. */
export const PIPES_PROTOCOL_VERSION = '0.1';
/** The key that marks a JSON line as a Pipes message. */
export const PIPES_PROTOCOL_VERSION_FIELD = '__dagster_pipes_version';
/** Env var with the context injector's params (base64 of zlib-compressed JSON). */
export const DAGSTER_PIPES_CONTEXT_ENV_VAR = 'DAGSTER_PIPES_CONTEXT';
/** Env var with the message reader's params (base64 of zlib-compressed JSON). */
export const DAGSTER_PIPES_MESSAGES_ENV_VAR = 'DAGSTER_PIPES_MESSAGES';
/** CLI form of the context params, derived like dagster_pipes does: `--` + lower-case, `_` → `-`. */
export const DAGSTER_PIPES_CONTEXT_CLI_ARGUMENT = '--dagster-pipes-context';
/** CLI form of the messages params. */
export const DAGSTER_PIPES_MESSAGES_CLI_ARGUMENT = '--dagster-pipes-messages';

export const PipesMethod = z.enum([
  'opened',
  'closed',
  'log',
  'report_asset_materialization',
  'report_asset_check',
  'report_custom_message',
  'log_external_stream',
]);
export type PipesMethod = z.infer<typeof PipesMethod>;

/** Python logging level names; Dagster's `coerce_valid_log_level` accepts exactly these (and aliases). */
export const PipesLogLevel = z.enum(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']);
export type PipesLogLevel = z.infer<typeof PipesLogLevel>;

/** `AssetCheckSeverity` values on the Dagster side. */
export const PipesAssetCheckSeverity = z.enum(['WARN', 'ERROR']);
export type PipesAssetCheckSeverity = z.infer<typeof PipesAssetCheckSeverity>;

// ##### Context payload (orchestrator → external process)

export const PipesPartitionKeyRange = z.object({ start: z.string(), end: z.string() });
export type PipesPartitionKeyRange = z.infer<typeof PipesPartitionKeyRange>;

/** ISO-8601 start and end of a time-window partition range. */
export const PipesTimeWindow = z.object({ start: z.string(), end: z.string() });
export type PipesTimeWindow = z.infer<typeof PipesTimeWindow>;

export const PipesDataProvenance = z.object({
  code_version: z.string(),
  input_data_versions: z.record(z.string(), z.string()),
  is_user_provided: z.boolean(),
});
export type PipesDataProvenance = z.infer<typeof PipesDataProvenance>;

export const PipesExtras = z.record(z.string(), z.unknown());
export type PipesExtras = z.infer<typeof PipesExtras>;

/**
 * Every key is required (Dagster always writes all ten); the nullable ones stay `null` rather
 * than being dropped, so `asset_keys: null` (not an asset step) and `[]` stay distinguishable.
 * Asset keys are Dagster's escaped user strings and are echoed back byte for byte.
 */
export const PipesContextData = z.object({
  asset_keys: z.array(z.string()).nullable(),
  code_version_by_asset_key: z.record(z.string(), z.string().nullable()).nullable(),
  provenance_by_asset_key: z.record(z.string(), PipesDataProvenance.nullable()).nullable(),
  partition_key: z.string().nullable(),
  partition_key_range: PipesPartitionKeyRange.nullable(),
  partition_time_window: PipesTimeWindow.nullable(),
  run_id: z.string(),
  job_name: z.string().nullable(),
  retry_number: z.int(),
  extras: PipesExtras,
});
export type PipesContextData = z.infer<typeof PipesContextData>;

// ##### Messages (external process → orchestrator)

/** The structured error in `closed`; Dagster reads all five keys (`_ser_err_from_pipes_exc`). */
export const PipesException = z.strictObject({
  message: z.string(),
  stack: z.array(z.string()),
  name: z.string().nullable(),
  get cause() {
    return PipesException.nullable();
  },
  get context() {
    return PipesException.nullable();
  },
});
export type PipesException = z.infer<typeof PipesException>;

export const OpenedParams = z.strictObject({ extras: PipesExtras });
export const ClosedParams = z.union([z.strictObject({}), z.strictObject({ exception: PipesException })]);
export const LogParams = z.strictObject({ message: z.string(), level: PipesLogLevel });
export const ReportAssetMaterializationParams = z.strictObject({
  asset_key: z.string().min(1),
  data_version: z.string().nullable(),
  metadata: PipesMetadataMap.nullable(),
});
export const ReportAssetCheckParams = z.strictObject({
  asset_key: z.string().min(1),
  check_name: z.string().min(1),
  passed: z.boolean(),
  metadata: PipesMetadataMap.nullable(),
  severity: PipesAssetCheckSeverity,
});
export const ReportCustomMessageParams = z.strictObject({ payload: z.json() });
export const LogExternalStreamParams = z.strictObject({
  stream: z.enum(['stdout', 'stderr']),
  text: z.string(),
  extras: PipesExtras,
});

const message = <M extends PipesMethod, P extends z.ZodType>(method: M, params: P) =>
  z.strictObject({ [PIPES_PROTOCOL_VERSION_FIELD]: z.literal(PIPES_PROTOCOL_VERSION), method: z.literal(method), params });

/** One line of the message stream. `params` is never null: Dagster calls handlers with `**params`. */
export const PipesMessage = z.discriminatedUnion('method', [
  message('opened', OpenedParams),
  message('closed', ClosedParams),
  message('log', LogParams),
  message('report_asset_materialization', ReportAssetMaterializationParams),
  message('report_asset_check', ReportAssetCheckParams),
  message('report_custom_message', ReportCustomMessageParams),
  message('log_external_stream', LogExternalStreamParams),
]);
export type PipesMessage = z.infer<typeof PipesMessage>;
/** The params of one method's message. */
export type PipesParamsOf<M extends PipesMethod> = Extract<PipesMessage, { method: M }>['params'];
