import { z } from 'zod';

/**
 * The typed events of one `sqlmesh run`: the single source of their types.
 *
 * Producers: the JSON console shim (python_shim/src/sqlmesh_pipes_console, one JSON object per
 * line on a dedicated fd) and the text fallback parser (unmodified `sqlmesh run` output).
 * Both produce these same events; fields the text console cannot know are null.
 * Model names are SQLMesh model names as in the manifest's `name` (e.g. `sushi.orders`).
 * Input from SQLMesh is parsed with looseObject: a newer shim may add fields.
 */

/** An interval as ISO-8601 UTC strings, [start, end). */
export const Interval = z.tuple([z.string(), z.string()]);
export type Interval = z.infer<typeof Interval>;

/** Rows/bytes an engine reports for one batch (null where the engine does not track it). */
export const ExecutionStats = z.looseObject({
  total_rows_processed: z.number().nullable(),
  total_bytes_processed: z.number().nullable(),
});
export type ExecutionStats = z.infer<typeof ExecutionStats>;

/** One audit that SQLMesh reported as failing (blocking error or non-blocking warning). */
export const AuditFailure = z.looseObject({
  audit: z.string(),
  /** Index into the node's audits in the manifest; null when the console could not tell (text console). */
  audit_index: z.number().int().nonnegative().nullable().optional(),
  args: z.record(z.string(), z.string()).nullable(),
  failed_rows: z.number().int().nullable(),
  query: z.string().nullable(),
});
export type AuditFailure = z.infer<typeof AuditFailure>;

export const RunStarted = z.looseObject({
  type: z.literal('run_started'),
  environment: z.string(),
  sqlmesh_version: z.string().nullable(),
  execution_time: z.string().nullable(),
  selected_models: z.array(z.string()).nullable(),
  /** The gateway SQLMesh ran on (JSON console: the resolved one; text: the flag, if any). */
  gateway: z.string().nullable().optional(),
  /** Effective concurrent tasks (JSON console: what SQLMesh's Context uses; text: the override, if any). */
  concurrent_tasks: z.number().int().nullable().optional(),
});

/**
 * What a DAG node SQLMesh evaluates is: a model, an external model (only its audits run), or a
 * standalone audit. Absent from the text console, where every node is taken for a model.
 */
export const NodeKind = z.enum(['model', 'external', 'audit']);
export type NodeKind = z.infer<typeof NodeKind>;

/** Snapshot identifiers of every node of the environment SQLMesh runs, by FQN (audits by name). */
export const EnvironmentSnapshots = z.looseObject({
  type: z.literal('environment_snapshots'),
  environment: z.string(),
  fingerprints: z.record(z.string(), z.string()),
});

/** Evaluation begins: how many batches each node will run (and each node's snapshot identifier). */
export const EvaluationStarted = z.looseObject({
  type: z.literal('evaluation_started'),
  batches: z.record(z.string(), z.number().int()),
  fingerprints: z.record(z.string(), z.string()).optional(),
});

export const BatchStarted = z.looseObject({
  type: z.literal('batch_started'),
  model: z.string(),
  node: NodeKind.optional(),
});

/** A batch finished successfully (SQLMesh also calls back for failed batches: those are NOT this event). */
export const BatchEvaluated = z.looseObject({
  type: z.literal('batch_evaluated'),
  model: z.string(),
  node: NodeKind.optional(),
  interval: Interval.nullable(),
  batch_index: z.number().int(),
  batch_count: z.number().int().nullable(),
  duration_ms: z.number(),
  audits_passed: z.number().int(),
  audits_failed: z.number().int(),
  /** e.g. `insert 2024-01-01 - 2024-01-02`, `full refresh`, `recreate view` (text console wording). */
  annotation: z.string().nullable(),
  execution_stats: ExecutionStats.nullable(),
});

/** A non-blocking audit failed in a batch of `model` (SQLMesh's warning). */
export const AuditWarning = z.looseObject({
  type: z.literal('audit_warning'),
  model: z.string(),
  failure: AuditFailure,
  message: z.string(),
  /** The batch it failed in (null when the console could not tell). */
  batch_index: z.number().int().nullable().optional(),
});

/** Evaluation ended (`success` false if any batch failed). */
export const EvaluationFinished = z.looseObject({
  type: z.literal('evaluation_finished'),
  success: z.boolean(),
});

/** Models SQLMesh skipped because an upstream batch failed. */
export const ModelsSkipped = z.looseObject({
  type: z.literal('models_skipped'),
  models: z.array(z.string()),
});

/** A model failed; `error_class` and `message` are SQLMesh's own. */
export const ModelFailed = z.looseObject({
  type: z.literal('model_failed'),
  model: z.string(),
  node: NodeKind.nullable().optional(),
  interval: Interval.nullable(),
  batch_index: z.number().int().nullable(),
  error_class: z.string().nullable(),
  message: z.string(),
  /** Non-empty when the failure is one or more blocking audits. */
  audit_failures: z.array(AuditFailure),
});

/**
 * Text console only: batch lines that SQLMesh's own end state does not vouch for (a model may print
 * look-alikes), by model, with the reason. Their models are not recorded as evaluated.
 */
export const BatchesUnverified = z.looseObject({
  type: z.literal('batches_unverified'),
  models: z.record(z.string(), z.string()),
});

/** Nothing was due in this run. */
export const NothingToDo = z.looseObject({
  type: z.literal('nothing_to_do'),
  message: z.string(),
  next_ready_at: z.string().nullable(),
});

/** The run ended. `status` follows SQLMesh's exit semantics. */
export const RunFinished = z.looseObject({
  type: z.literal('run_finished'),
  status: z.enum(['success', 'failed', 'nothing_to_do', 'error']),
  /** For `error`: SQLMesh's own error text (e.g. environment not found). */
  message: z.string().nullable(),
  error_class: z.string().nullable(),
});

export const LogLevel = z.enum(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']);
export type LogLevel = z.infer<typeof LogLevel>;

/** Anything else worth showing live: console status lines, raw stdout/stderr, garbled lines. */
export const LogLine = z.looseObject({
  type: z.literal('log'),
  level: LogLevel,
  message: z.string(),
  source: z.enum(['console', 'stdout', 'stderr']),
});

export const SqlmeshEvent = z.discriminatedUnion('type', [
  RunStarted,
  EnvironmentSnapshots,
  EvaluationStarted,
  BatchStarted,
  BatchEvaluated,
  AuditWarning,
  EvaluationFinished,
  ModelsSkipped,
  ModelFailed,
  BatchesUnverified,
  NothingToDo,
  RunFinished,
  LogLine,
]);
export type SqlmeshEvent = z.infer<typeof SqlmeshEvent>;
export type SqlmeshEventType = SqlmeshEvent['type'];
export type EventOf<T extends SqlmeshEventType> = Extract<SqlmeshEvent, { type: T }>;
