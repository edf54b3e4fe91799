import type { z } from 'zod';
import { SqlmeshEvent } from './console-events.js';
import {
  DEFAULT_ENVIRONMENT,
  DEFAULT_TERMINATION_TIMEOUT_SECONDS,
  EVENTS_FD_ENV,
  EXIT_CODE_MEANINGS,
  EXTRAS_KEY,
  EXTRAS_VERSION,
  ExitCode,
  MANIFEST_VERSION,
  RUN_SUMMARY_KIND,
  STOP_GRACE_SHARE,
} from './constants.js';
import { Manifest } from './manifest.js';
import { RunExtras } from './run-extras.js';
import { OUTCOME_LABELS, RunSummary } from './run-summary.js';
import { AdaptiveSchedule, DueNodes } from './schedule.js';
import { AUDIT_WARNING_PATTERN, NEXT_READY_PATTERN, NOTHING_TO_DO_PREFIX } from './sqlmesh-text.js';

/** One document that crosses between TypeScript and Python. */
export interface Contract {
  /** File stem of its JSON Schema (`docs/contracts/<name>.schema.json`). */
  readonly name: string;
  readonly schema: z.ZodType;
  /** Name of its strict reader in the generated Python module. */
  readonly reader: string;
  readonly producer: string;
  readonly consumers: string;
}

/** Every contract, in the order the generated files list them. */
export const CONTRACTS: readonly Contract[] = [
  {
    name: 'manifest',
    schema: Manifest,
    reader: 'read_manifest',
    producer: 'the SQLMesh side (sqlmesh_pipes_console.manifest)',
    consumers: 'the Dagster code location and the executor',
  },
  {
    name: 'run-extras',
    schema: RunExtras,
    reader: 'read_run_extras',
    producer: 'the Dagster side (sqlmesh_pipes.extras), in the Pipes context extras',
    consumers: 'the executor',
  },
  {
    name: 'run-summary',
    schema: RunSummary,
    reader: 'read_run_summary',
    producer: 'the executor, as its last Pipes custom message',
    consumers: 'the Dagster side (sqlmesh_pipes.results)',
  },
  {
    name: 'adaptive-schedule',
    schema: AdaptiveSchedule,
    reader: 'read_adaptive_schedule',
    producer: 'the executor (`sqlmesh-pipes schedule`, on stdout)',
    consumers: 'the Dagster side (sqlmesh_pipes.executor)',
  },
  {
    name: 'due-nodes',
    schema: DueNodes,
    reader: 'read_due_nodes',
    producer: 'the executor (`sqlmesh-pipes due`, on stdout)',
    consumers: "the Dagster side (sqlmesh_pipes.schedule's tick)",
  },
  {
    name: 'console-event',
    schema: SqlmeshEvent,
    reader: 'read_console_event',
    producer: 'the SQLMesh side JSON console (sqlmesh_pipes_console.json_console), one per line',
    consumers: 'the executor',
  },
];

/** Constants the Python module gets, by their Python names. */
export const PYTHON_CONSTANTS: Readonly<Record<string, unknown>> = {
  MANIFEST_VERSION,
  EXTRAS_KEY,
  EXTRAS_VERSION,
  RUN_SUMMARY_KIND,
  EVENTS_FD_ENV,
  EXIT_OK: ExitCode.ok,
  EXIT_FAILED: ExitCode.failed,
  EXIT_USAGE: ExitCode.usage,
  EXIT_INTERRUPTED: ExitCode.interrupted,
  EXIT_TERMINATED: ExitCode.terminated,
  EXIT_CODE_MEANINGS,
  OUTCOME_LABELS,
  DEFAULT_ENVIRONMENT,
  DEFAULT_TERMINATION_TIMEOUT_SECONDS,
  STOP_GRACE_SHARE,
  NOTHING_TO_DO_PREFIX,
  AUDIT_WARNING_PATTERN,
  NEXT_READY_PATTERN,
};
