// Public API of `sqlmesh-pipes`: run SQLMesh once and read what it did as typed events; build,
// read and schedule a project's manifest; the contracts shared with the Python packages.
// The Dagster Pipes module is `sqlmesh-pipes/pipes`.

export type { EventOf, Interval, LogLevel, SqlmeshEventType } from './contracts/console-events.js';
export { AuditFailure, NodeKind, SqlmeshEvent } from './contracts/console-events.js';
export {
  EVENTS_FD_ENV,
  EXIT_CODE_MEANINGS,
  EXTRAS_KEY,
  EXTRAS_VERSION,
  MANIFEST_VERSION,
  RUN_SUMMARY_KIND,
} from './contracts/constants.js';
export {
  Manifest,
  ManifestAudit,
  ManifestColumn,
  ManifestExternalModel,
  ManifestModel,
  ManifestStandaloneAudit,
} from './contracts/manifest.js';
export { ConsoleKind, RunExtras, SelectedCheck } from './contracts/run-extras.js';
export { ManifestDrift, ModelOutcome, OUTCOME_LABELS, RunSummary, RunSummaryModel } from './contracts/run-summary.js';
export { AdaptiveSchedule } from './contracts/schedule.js';
export { ConfigurationError, ExitCode, SqlmeshPipesError, UsageError } from './errors.js';
export type { ModelCron } from './schedule/adaptive.js';
export { adaptiveSchedule } from './schedule/adaptive.js';
export type { BuildManifestOptions } from './sqlmesh/manifest.js';
export { buildManifest, readManifestFile } from './sqlmesh/manifest.js';
export type { RunSqlmeshOptions } from './sqlmesh/options.js';
export type { SqlmeshInvocation, SqlmeshRunResult } from './sqlmesh/process.js';
export { runSqlmesh, SqlmeshRunError } from './sqlmesh/process.js';
export { resolveSqlmeshPython } from './sqlmesh/python.js';
