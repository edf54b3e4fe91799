import type { ConsoleKind } from '../contracts/run-extras.js';
import { ConfigurationError } from '../errors.js';
import { checkProjectDirs, type ProjectPaths, resolveProjects, workingDirectory } from './projects.js';
import { resolveSqlmeshPython } from './python.js';

/** How the run's events are read. */
export type { ConsoleKind };

/** Options of one `sqlmesh run` (see runSqlmesh). */
export interface RunSqlmeshOptions {
  /**
   * The SQLMesh project directory, or several (a multi-repo project, `sqlmesh -p a -p b`: the
   * first one's config gives the connection and state). SQLMesh runs in the project, or in the
   * common parent of several: relative paths in the config (DuckDB files) resolve against it.
   */
  readonly project: ProjectPaths;
  /** @default SQLMesh's default target environment (`prod`) */
  readonly environment?: string | null;
  /** @default the project's default gateway */
  readonly gateway?: string | null;
  /** Models to run, by name; never their upstream (no auto-upstream). @default all models */
  readonly selectModels?: readonly string[] | null;
  /**
   * Models (FQNs) whose audits SQLMesh runs in place after the run, over the intervals the
   * environment holds, changing nothing; with `selectModels: []` nothing else runs (JSON console only).
   * @default none
   */
  readonly auditModels?: readonly string[];
  /**
   * Instead of `sqlmesh run`: SQLMesh's restatement plan of these models (and their downstream),
   * `start`/`end` as its window; refused on unapplied changes (JSON console only). @default none
   */
  readonly restateModels?: readonly string[];
  /** Run all missing intervals, ignoring cron. @default false */
  readonly ignoreCron?: boolean;
  /** Count each materialized model's rows after its last batch (`row_count` on the event; JSON console only). */
  readonly fetchRowCounts?: boolean;
  /** SQLMesh's execution time (JSON console only: the CLI has no such flag). @default now */
  readonly executionTime?: string | null;
  readonly start?: string | null;
  readonly end?: string | null;
  /** Overrides the gateway connection's concurrent_tasks. @default the connection's own */
  readonly concurrentTasks?: number | null;
  /** Skip the janitor SQLMesh runs before a prod run. @default false */
  readonly skipJanitor?: boolean;
  /** @default 'json' */
  readonly console?: ConsoleKind;
  /** Python of the SQLMesh env. @default resolveSqlmeshPython() */
  readonly python?: string | null;
  /** Text console: quoted FQN → model name (e.g. from the manifest). */
  readonly fqnToName?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** Text console: every node name of the project (to tell SQLMesh's batch lines from look-alikes). */
  readonly knownNodes?: ReadonlySet<string> | null;
  /** Extra environment variables for SQLMesh. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Options after defaults and validation. */
export interface NormalizedRunOptions {
  /** Absolute project directories, in load order. */
  readonly projects: readonly string[];
  /** SQLMesh's working directory (see workingDirectory). */
  readonly cwd: string;
  readonly environment: string | null;
  readonly gateway: string | null;
  readonly selectModels: readonly string[] | null;
  readonly auditModels: readonly string[];
  readonly restateModels: readonly string[];
  readonly ignoreCron: boolean;
  readonly fetchRowCounts: boolean;
  readonly executionTime: string | null;
  readonly start: string | null;
  readonly end: string | null;
  readonly concurrentTasks: number | null;
  readonly skipJanitor: boolean;
  readonly console: ConsoleKind;
  readonly python: string;
  readonly fqnToName: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  readonly knownNodes: ReadonlySet<string> | null;
  readonly env: Readonly<Record<string, string>>;
}

/** Apply defaults and validate once; every problem is a ConfigurationError naming the option and value. */
export function normalizeRunOptions(options: RunSqlmeshOptions): NormalizedRunOptions {
  const {
    project,
    environment = null,
    gateway = null,
    selectModels = null,
    auditModels = [],
    restateModels = [],
    ignoreCron = false,
    fetchRowCounts = false,
    executionTime = null,
    start = null,
    end = null,
    concurrentTasks = null,
    skipJanitor = false,
    console = 'json',
    python = null,
    fqnToName = {},
    knownNodes = null,
    env = {},
  } = options;
  const projects = validateProjects(project);
  const normalized: NormalizedRunOptions = {
    projects,
    cwd: workingDirectory(projects),
    environment: validateName('environment', environment),
    gateway: validateName('gateway', gateway),
    selectModels: validateSelection(selectModels),
    auditModels: validateSelection(auditModels, 'auditModels') ?? [],
    restateModels: validateSelection(restateModels, 'restateModels') ?? [],
    ignoreCron: Boolean(ignoreCron),
    fetchRowCounts: Boolean(fetchRowCounts),
    executionTime: validateName('executionTime', executionTime),
    start: validateName('start', start),
    end: validateName('end', end),
    concurrentTasks: validateConcurrentTasks(concurrentTasks),
    skipJanitor: Boolean(skipJanitor),
    console: validateConsole(console),
    python: resolveSqlmeshPython(python),
    fqnToName,
    knownNodes,
    env,
  };
  validateTextMode(normalized);
  return normalized;
}

function validateProjects(project: unknown): readonly string[] {
  const projects = resolveProjects(project);
  checkProjectDirs(projects);
  return projects;
}

function validateName(option: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigurationError(`${option} must be a non-empty string, got ${JSON.stringify(value)} (${typeof value})`);
  }
  return value;
}

function validateSelection(value: unknown, option = 'selectModels'): readonly string[] | null {
  if (value === null || value === undefined) return null;
  if (!Array.isArray(value) || value.some((name) => typeof name !== 'string' || name.trim() === '')) {
    throw new ConfigurationError(`${option} must be an array of model names, got ${JSON.stringify(value)}`);
  }
  return [...(value as string[])];
}

function validateConcurrentTasks(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigurationError(`concurrentTasks must be a positive integer, got ${String(value)} (${typeof value})`);
  }
  return value;
}

function validateConsole(value: unknown): ConsoleKind {
  if (value !== 'json' && value !== 'text') {
    throw new ConfigurationError(`console must be 'json' or 'text', got ${JSON.stringify(value)}`);
  }
  return value;
}

function validateTextMode(options: NormalizedRunOptions): void {
  if (options.console !== 'text') return;
  if (options.executionTime !== null) {
    throw new ConfigurationError('executionTime needs the JSON console: `sqlmesh run` has no --execution-time (use --console json)');
  }
  if (options.restateModels.length > 0) {
    throw new ConfigurationError('restateModels needs the JSON console: `sqlmesh run` cannot restate (use --console json)');
  }
  if (options.auditModels.length > 0) {
    throw new ConfigurationError('auditModels needs the JSON console: `sqlmesh run` cannot audit models in place (use --console json)');
  }
  if (options.fetchRowCounts) {
    throw new ConfigurationError('fetchRowCounts needs the JSON console: the text console cannot query the tables (use --console json)');
  }
  if (options.concurrentTasks !== null && options.gateway === null) {
    // The text console can only override it through SQLMESH__GATEWAYS__<name>__..., which needs the name.
    throw new ConfigurationError('concurrentTasks with the text console needs an explicit gateway (pass --gateway NAME)');
  }
}
