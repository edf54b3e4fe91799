import { resolve } from 'node:path';
import { DEFAULT_ENVIRONMENT, DEFAULT_TERMINATION_TIMEOUT_SECONDS, STOP_GRACE_SHARE } from '../contracts/constants.js';
import { type ConsoleKind, EXTRAS_KEY, RunExtras } from '../contracts/run-extras.js';
import { UsageError } from '../errors.js';
import type { PipesExtras } from '../pipes/protocol.js';
import { validateRunTime, validateWindow } from './run-times.js';

/** Flags of `sqlmesh-pipes run`, as parsed from argv. */
export interface RunFlags {
  readonly argv: readonly string[];
  /** --project, repeated for a multi-repo project (in SQLMesh's load order). */
  readonly projects: readonly string[];
  readonly environment?: string | undefined;
  readonly gateway?: string | undefined;
  readonly selectModels: readonly string[];
  readonly restateModels?: readonly string[] | undefined;
  readonly ignoreCron?: boolean | undefined;
  readonly fetchRowCounts?: boolean | undefined;
  readonly executionTime?: string | undefined;
  readonly start?: string | undefined;
  readonly end?: string | undefined;
  readonly sqlmeshPython?: string | undefined;
  readonly console?: string | undefined;
  readonly concurrentTasks?: number | undefined;
  readonly manifest?: string | undefined;
  readonly messagesFile?: string | undefined;
}

/** Everything one run needs, normalized once: flags merged with the Dagster extras (which win). */
export interface RunSettings {
  /** Absolute project directories, in load order (one, or several for a multi-repo project). */
  readonly projects: readonly string[];
  readonly environment: string;
  readonly gateway: string | null;
  readonly selectModels: readonly string[];
  /** Models to restate (SQLMesh's restatement plan) instead of running; empty: a plain run. */
  readonly restateModels: readonly string[];
  readonly ignoreCron: boolean;
  /** Count each materialized model's rows after its last batch (JSON console only). */
  readonly fetchRowCounts: boolean;
  readonly executionTime: string | null;
  readonly start: string | null;
  readonly end: string | null;
  readonly sqlmeshPython: string | null;
  readonly console: ConsoleKind;
  readonly concurrentTasks: number | null;
  readonly manifest: string | null;
  readonly messagesFile: string | null;
  /**
   * How long SQLMesh gets to stop after SIGINT/SIGTERM before it is killed: a fixed share of the
   * time Dagster waits for the executor, so the executor always stops (and reports) before Dagster
   * kills it.
   */
  readonly stopGraceMs: number;
  /** The Dagster side's selection; null outside Dagster or when launched without our extras. */
  readonly extras: RunExtras | null;
}

/** Read our extras from the Pipes context; null when absent, a UsageError when malformed. */
export function readExtras(extras: PipesExtras): RunExtras | null {
  const raw = extras[EXTRAS_KEY];
  if (raw === undefined) return null;
  const parsed = RunExtras.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(
      `Pipes extras "${EXTRAS_KEY}" are invalid at ${issue.path.join('.') || '(root)'}: ${issue.message} — the Dagster side (sqlmesh_pipes) and this executor are out of step; install matching versions`,
    );
  }
  return parsed.data;
}

/** Merge flags and extras, apply defaults, validate; throws a UsageError naming the bad option. */
export function resolveRunSettings(flags: RunFlags, extras: RunExtras | null): RunSettings {
  const pick = <T>(fromExtras: T | undefined, fromFlag: T | undefined): T | undefined => (fromExtras !== undefined ? fromExtras : fromFlag);
  const fromExtras = extras?.project_dirs ?? (extras?.project_dir !== undefined ? [extras.project_dir] : undefined);
  const projects = pick(fromExtras, flags.projects.length > 0 ? flags.projects : undefined);
  if (!projects || projects.length === 0 || projects.some((project) => !project)) {
    throw new UsageError('run needs --project DIR (the SQLMesh project directory; repeat it for a multi-repo project)');
  }
  const consoleMode = pick(extras?.console, flags.console) ?? 'json';
  if (consoleMode !== 'json' && consoleMode !== 'text') {
    throw new UsageError(`--console must be json or text, got ${JSON.stringify(consoleMode)}`);
  }
  const start = validateRunTime('start', pick(extras?.start, flags.start) ?? null);
  const end = validateRunTime('end', pick(extras?.end, flags.end) ?? null);
  validateWindow(start, end);
  if (extras && flags.selectModels.length > 0) {
    throw new UsageError('--select-model is not used under Dagster: the selection comes from the Pipes context — remove the flag');
  }
  const manifest = pick(extras?.manifest_path, flags.manifest) ?? null;
  return {
    projects: projects.map((project) => resolve(project)),
    environment: pick(extras?.environment, flags.environment) ?? DEFAULT_ENVIRONMENT,
    gateway: pick(extras?.gateway, flags.gateway) ?? null,
    selectModels: flags.selectModels,
    restateModels: [...new Set(pick(extras?.restate_models, flags.restateModels) ?? [])],
    ignoreCron: pick(extras?.ignore_cron, flags.ignoreCron) ?? false,
    fetchRowCounts: pick(extras?.fetch_row_counts, flags.fetchRowCounts) ?? false,
    executionTime: validateRunTime('execution-time', pick(extras?.execution_time, flags.executionTime) ?? null),
    start,
    end,
    sqlmeshPython: pick(extras?.sqlmesh_python, flags.sqlmeshPython) ?? null,
    console: consoleMode,
    concurrentTasks: pick(extras?.concurrent_tasks, flags.concurrentTasks) ?? null,
    manifest: manifest === null ? null : resolve(manifest),
    messagesFile: flags.messagesFile ?? null,
    stopGraceMs: Math.round((extras?.termination_timeout_seconds ?? DEFAULT_TERMINATION_TIMEOUT_SECONDS) * 1000 * STOP_GRACE_SHARE),
    extras,
  };
}
