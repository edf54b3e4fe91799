import { z } from 'zod';

/*
 * The typed events of one `sqlmesh run`: the single source of their types.
 *
 * Producers: the JSON console shim (python_shim/src/sqlmesh_pipes_console, one JSON object per
 * line on a dedicated fd) and the text fallback parser (unmodified `sqlmesh run` output).
 * Both produce these same events; fields the text console cannot know are null.
 * Model names are SQLMesh model names as in the manifest's `name` (e.g. `sushi.orders`).
 * Input from SQLMesh is parsed with looseObject: a newer shim may add fields.
 */

export const Interval = z
  .tuple([z.string(), z.string()])
  .meta({ id: 'Interval', description: 'An interval as ISO-8601 UTC strings, [start, end).' });
export type Interval = z.infer<typeof Interval>;

export const ExecutionStats = z
  .looseObject({
    total_rows_processed: z.number().nullable(),
    total_bytes_processed: z.number().nullable(),
  })
  .meta({ id: 'ExecutionStats', description: 'Rows/bytes an engine reports for one batch (null where the engine does not track it).' });
export type ExecutionStats = z.infer<typeof ExecutionStats>;

export const AuditFailure = z
  .looseObject({
    audit: z.string(),
    audit_index: z
      .number()
      .int()
      .nonnegative()
      .nullable()
      .optional()
      .describe("Index into the node's audits in the manifest; null when the console could not tell (text console)."),
    args: z.record(z.string(), z.string()).nullable(),
    failed_rows: z.number().int().nullable(),
    query: z.string().nullable(),
  })
  .meta({ id: 'AuditFailure', description: 'One audit that SQLMesh reported as failing (blocking error or non-blocking warning).' });
export type AuditFailure = z.infer<typeof AuditFailure>;

export const RunStarted = z
  .looseObject({
    type: z.literal('run_started'),
    environment: z.string(),
    sqlmesh_version: z.string().nullable(),
    execution_time: z.string().nullable(),
    selected_models: z.array(z.string()).nullable(),
    gateway: z
      .string()
      .nullable()
      .optional()
      .describe('The gateway SQLMesh ran on (JSON console: the resolved one; text: the flag, if any).'),
    concurrent_tasks: z
      .number()
      .int()
      .nullable()
      .optional()
      .describe("Effective concurrent tasks (JSON console: what SQLMesh's Context uses; text: the override, if any)."),
    restated_models: z
      .array(z.string())
      .optional()
      .describe('Set when this is a restatement plan instead of a run: the models asked for (their downstream is restated too).'),
  })
  .meta({ id: 'RunStarted', description: 'The run starts.' });

export const NodeKind = z.enum(['model', 'external', 'audit']).meta({
  id: 'NodeKind',
  description:
    'What a DAG node SQLMesh evaluates is: a model, an external model (only its audits run), or a standalone audit. ' +
    'Absent from the text console, where every node is taken for a model.',
});
export type NodeKind = z.infer<typeof NodeKind>;

export const EnvironmentSnapshots = z
  .looseObject({
    type: z.literal('environment_snapshots'),
    environment: z.string(),
    fingerprints: z.record(z.string(), z.string()),
  })
  .meta({
    id: 'EnvironmentSnapshots',
    description: 'Snapshot identifiers of every node of the environment SQLMesh runs, by FQN (audits by name).',
  });

export const EvaluationStarted = z
  .looseObject({
    type: z.literal('evaluation_started'),
    batches: z.record(z.string(), z.number().int()),
    fingerprints: z.record(z.string(), z.string()).optional(),
  })
  .meta({
    id: 'EvaluationStarted',
    description: "Evaluation begins: how many batches each node will run (and each node's snapshot identifier).",
  });

export const BatchStarted = z
  .looseObject({
    type: z.literal('batch_started'),
    model: z.string(),
    node: NodeKind.optional(),
  })
  .meta({ id: 'BatchStarted', description: 'A batch of a node starts.' });

export const BatchEvaluated = z
  .looseObject({
    type: z.literal('batch_evaluated'),
    model: z.string(),
    node: NodeKind.optional(),
    interval: Interval.nullable(),
    batch_index: z.number().int(),
    batch_count: z.number().int().nullable(),
    duration_ms: z.number(),
    audits_passed: z.number().int(),
    audits_failed: z.number().int(),
    annotation: z
      .string()
      .nullable()
      .describe('e.g. `insert 2024-01-01 - 2024-01-02`, `full refresh`, `recreate view` (text console wording).'),
    execution_stats: ExecutionStats.nullable(),
    row_count: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe(
        "Rows in the model's table after its last batch: only when the run asks for row counts (`--fetch-row-counts`) and the count succeeded.",
      ),
  })
  .meta({
    id: 'BatchEvaluated',
    description: 'A batch finished successfully (SQLMesh also calls back for failed batches: those are NOT this event).',
  });

export const AuditWarning = z
  .looseObject({
    type: z.literal('audit_warning'),
    model: z.string(),
    failure: AuditFailure,
    message: z.string(),
    batch_index: z.number().int().nullable().optional().describe('The batch it failed in (null when the console could not tell).'),
  })
  .meta({ id: 'AuditWarning', description: "A non-blocking audit failed in a batch of `model` (SQLMesh's warning)." });

export const EvaluationFinished = z
  .looseObject({
    type: z.literal('evaluation_finished'),
    success: z.boolean(),
  })
  .meta({ id: 'EvaluationFinished', description: 'Evaluation ended (`success` false if any batch failed).' });

export const ModelsSkipped = z
  .looseObject({
    type: z.literal('models_skipped'),
    models: z.array(z.string()),
  })
  .meta({ id: 'ModelsSkipped', description: 'Models SQLMesh skipped because an upstream batch failed.' });

export const ModelFailed = z
  .looseObject({
    type: z.literal('model_failed'),
    model: z.string(),
    node: NodeKind.nullable().optional(),
    interval: Interval.nullable(),
    batch_index: z.number().int().nullable(),
    error_class: z.string().nullable(),
    message: z.string(),
    audit_failures: z.array(AuditFailure).describe('Non-empty when the failure is one or more blocking audits.'),
  })
  .meta({ id: 'ModelFailed', description: "A model failed; `error_class` and `message` are SQLMesh's own." });

export const BatchesUnverified = z
  .looseObject({
    type: z.literal('batches_unverified'),
    models: z.record(z.string(), z.string()),
  })
  .meta({
    id: 'BatchesUnverified',
    description:
      "Text console only: batch lines that SQLMesh's own end state does not vouch for (a model may print look-alikes), " +
      'by model, with the reason. Their models are not recorded as evaluated.',
  });

export const NothingToDo = z
  .looseObject({
    type: z.literal('nothing_to_do'),
    message: z.string(),
    next_ready_at: z.string().nullable(),
  })
  .meta({ id: 'NothingToDo', description: 'Nothing was due in this run.' });

export const RunFinished = z
  .looseObject({
    type: z.literal('run_finished'),
    status: z.enum(['success', 'failed', 'nothing_to_do', 'error']),
    message: z.string().nullable().describe("For `error`: SQLMesh's own error text (e.g. environment not found)."),
    error_class: z.string().nullable(),
  })
  .meta({ id: 'RunFinished', description: "The run ended. `status` follows SQLMesh's exit semantics." });

export const LogLevel = z.enum(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']).meta({ id: 'LogLevel' });
export type LogLevel = z.infer<typeof LogLevel>;

export const LogSource = z.enum(['console', 'stdout', 'stderr']).meta({ id: 'LogSource' });
export type LogSource = z.infer<typeof LogSource>;

export const LogLine = z
  .looseObject({
    type: z.literal('log'),
    level: LogLevel,
    message: z.string(),
    source: LogSource,
  })
  .meta({ id: 'LogLine', description: 'Anything else worth showing live: console status lines, raw stdout/stderr, garbled lines.' });

export const SqlmeshEvent = z
  .discriminatedUnion('type', [
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
  ])
  .meta({ id: 'SqlmeshEvent', description: 'One line of the JSON console channel.' });
export type SqlmeshEvent = z.infer<typeof SqlmeshEvent>;
export type SqlmeshEventType = SqlmeshEvent['type'];
export type EventOf<T extends SqlmeshEventType> = Extract<SqlmeshEvent, { type: T }>;
