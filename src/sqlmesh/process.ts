import { relative } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { execa } from 'execa';
import type { EventOf, SqlmeshEvent } from '../contracts/console-events.js';
import { DEFAULT_ENVIRONMENT } from '../contracts/constants.js';
import { ConfigurationError, SqlmeshPipesError } from '../errors.js';
import { EVENTS_FD, formatCommand, type SqlmeshCommand, sqlmeshCommand } from './command.js';
import { MAX_EVENT_LINE_BYTES, splitLines } from './lines.js';
import { type NormalizedRunOptions, normalizeRunOptions, type RunSqlmeshOptions } from './options.js';
import { isErrorLine, logEvent, outputLineEvent, parseJsonLine } from './parse-json.js';
import { TextRunParser } from './parse-text.js';
import { checkSqlmeshPython } from './python.js';
import { AsyncQueue } from './queue.js';

export type { RunSqlmeshOptions } from './options.js';

/** How one SQLMesh process ended. */
export interface ChildExit {
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  /** Set when the process could not be started at all. */
  readonly spawnError?: Error;
}

/** The part of a child process the runner uses (execa's subprocess in production, fakes in tests). */
export interface SqlmeshChild {
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** The JSON console's channel (fd 3); unused by the text console. */
  readonly events: Readable | null;
  readonly exit: Promise<ChildExit>;
  kill(signal?: NodeJS.Signals): boolean;
}

export type SpawnSqlmesh = (command: SqlmeshCommand) => SqlmeshChild;

/** Injected collaborators (tests replace them). */
export interface RunSqlmeshDeps {
  readonly spawn?: SpawnSqlmesh;
  /**
   * Returns SQLMesh's version or throws a ConfigurationError; called only to explain a run that could not
   * start (the probe costs a second Python start-up, ~0.6 s, on every healthy run otherwise).
   * @default checkSqlmeshPython
   */
  readonly checkPython?: (python: string) => Promise<string>;
  /**
   * How long to keep reading SQLMesh's pipes after it exited (a process it left in the background
   * may hold them open). @default 2000
   */
  readonly drainAfterExitMs?: number;
}

/** The outcome of a run; the same shape on every exit path. */
export interface SqlmeshRunResult {
  readonly command: string;
  readonly cwd: string;
  readonly durationMs: number;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  /** SQLMesh's own verdict (its run_finished event), or `canceled` after kill(). */
  readonly status: EventOf<'run_finished'>['status'] | 'canceled';
  /** Exit code other than 0. */
  readonly failed: boolean;
  /** The run was stopped by kill(). */
  readonly isCanceled: boolean;
  /** SQLMesh's error lines (`Error: ...`, traceback tails, the shim's one-line messages). */
  readonly errorLines: readonly string[];
  /** From the JSON console's run_started; null in text mode or when SQLMesh never started. */
  readonly sqlmeshVersion: string | null;
}

/** A run that ended outside SQLMesh's own semantics: not started, crashed, killed by someone else. */
export class SqlmeshRunError extends SqlmeshPipesError {
  override readonly name: string = 'SqlmeshRunError';
  readonly shortMessage: string;
  constructor(
    readonly result: SqlmeshRunResult,
    why: string,
    options?: { cause?: unknown },
  ) {
    const shortMessage = `SQLMesh ${why}: ${result.command}`;
    const details = result.errorLines.length > 0 ? `\n${result.errorLines.join('\n')}` : '';
    super(shortMessage + details, options);
    this.shortMessage = shortMessage;
  }
}

/** One running `sqlmesh run`, like dagster-dbt's DbtCliInvocation. */
export interface SqlmeshInvocation {
  readonly command: string;
  /**
   * Every event, in arrival order, `run_finished` always last; iterate once.
   * Stdout/stderr lines arrive as `log` events.
   */
  readonly events: AsyncIterable<SqlmeshEvent>;
  /**
   * Resolves when the process has exited and every line is parsed, for exit 0 and 1 (SQLMesh's
   * own outcomes) and after kill(). Rejects with a ConfigurationError for exit 2 (configuration), and
   * with a SqlmeshRunError otherwise (not started, crashed, killed by a signal we did not send).
   */
  readonly result: Promise<SqlmeshRunResult>;
  /** Stop SQLMesh (SIGTERM by default; SIGINT lets the JSON console report the interruption). */
  kill(signal?: NodeJS.Signals): boolean;
}

/**
 * Start ONE SQLMesh process for a run. Checks the options, the project directory and the
 * SQLMesh python first (ConfigurationError), then spawns and streams typed events.
 */
export async function runSqlmesh(options: RunSqlmeshOptions, deps: RunSqlmeshDeps = {}): Promise<SqlmeshInvocation> {
  const normalized = normalizeRunOptions(options);
  const command = sqlmeshCommand(normalized);
  const spawn = deps.spawn ?? spawnWithExeca;
  return startRun(normalized, command, spawn(command), deps.checkPython ?? checkSqlmeshPython, deps.drainAfterExitMs ?? 2_000);
}

/** The production spawn: execa with an extra pipe on fd 3 for the JSON console. */
export const spawnWithExeca: SpawnSqlmesh = (command) => {
  const subprocess = execa(command.file, [...command.args], {
    cwd: command.cwd,
    env: command.env,
    extendEnv: false,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    // We stream every line ourselves; never buffer a long run's output in memory.
    buffer: false,
    reject: false,
    // Escalation to SIGKILL is the caller's (one timeout: commands/run.ts STOP_GRACE_MS).
    forceKillAfterDelay: false,
  });
  // Exit status from the 'exit' event: execa's own promise also waits for every pipe to close,
  // and a process SQLMesh started in the background may hold them open for hours.
  const exited = new Promise<ChildExit>((resolveExit) =>
    subprocess.once('exit', (code, signal) => resolveExit({ exitCode: code ?? undefined, signal: signal ?? undefined })),
  );
  // Settles on its own only when the process could not start ('exit' never comes then).
  const settled: Promise<ChildExit> = subprocess.then(
    (r) => ({
      exitCode: r.exitCode,
      signal: r.signal,
      ...(r.failed && r.exitCode === undefined && !r.signal ? { spawnError: r as unknown as Error } : {}),
    }),
    (error: unknown) => ({ exitCode: undefined, signal: undefined, spawnError: error as Error }),
  );
  const exit = Promise.race([exited, settled]);
  const events = subprocess.stdio[EVENTS_FD] as Readable | undefined;
  return {
    stdout: subprocess.stdout,
    stderr: subprocess.stderr,
    events: events ?? null,
    exit,
    kill: (signal) => subprocess.kill(signal),
  };
};

function startRun(
  options: NormalizedRunOptions,
  command: SqlmeshCommand,
  child: SqlmeshChild,
  checkPython: (python: string) => Promise<string>,
  drainAfterExitMs: number,
): SqlmeshInvocation {
  const started = Date.now();
  const rendered = formatCommand(command);
  const queue = new AsyncQueue<SqlmeshEvent>();
  const errorLines: string[] = [];
  let runFinished: EventOf<'run_finished'> | null = null;
  let sqlmeshVersion: string | null = null;
  let missingSqlmesh = false;
  let canceled = false;
  let synthesized = false;

  // run_finished is held back and emitted last, after every stdout/stderr line: consumers can
  // treat it as the end of the run whatever order the three pipes delivered in.
  const emit = (event: SqlmeshEvent | null): void => {
    if (event === null) return;
    if (event.type === 'run_finished') runFinished = event;
    else queue.push(event);
    if (event.type === 'run_started') sqlmeshVersion ??= event.sqlmesh_version;
  };
  const text =
    options.console === 'text'
      ? new TextRunParser({ fqnToName: options.fqnToName, ...(options.knownNodes ? { knownNodes: options.knownNodes } : {}) })
      : null;

  if (text) {
    // The CLI prints no run header: the runner knows what it asked for.
    emit({
      type: 'run_started',
      environment: options.environment ?? DEFAULT_ENVIRONMENT,
      sqlmesh_version: null,
      execution_time: null,
      selected_models: options.selectModels ? [...options.selectModels] : null,
      gateway: options.gateway,
      concurrent_tasks: options.concurrentTasks,
    });
  }

  const onOutput = (source: 'stdout' | 'stderr') => (line: string) => {
    if (MISSING_SQLMESH.test(line)) missingSqlmesh = true;
    if (text) {
      for (const event of text.push(line, source)) emit(event);
      return;
    }
    if (isErrorLine(line)) errorLines.push(line.trim());
    emit(outputLineEvent(line, source));
  };
  const pumps = [
    pump(child.stdout, queue, onOutput('stdout')),
    pump(child.stderr, queue, onOutput('stderr')),
    ...(text || !child.events ? [] : [pump(child.events, queue, (line) => emit(parseJsonLine(line)), MAX_EVENT_LINE_BYTES)]),
  ];

  const result = (async (): Promise<SqlmeshRunResult> => {
    const exit = await child.exit;
    // What SQLMesh wrote before it exited is read at once; a pipe still open after that is held by
    // a process it left running in the background, which must not keep the run waiting.
    const drained = await Promise.race([
      Promise.all(pumps.map((p) => p.done)).then(() => true),
      delay(drainAfterExitMs, false, { ref: false }),
    ]);
    if (!drained) {
      for (const p of pumps) p.stop();
      queue.push(
        logEvent(
          `SQLMesh exited, but a process it started still holds its output open: stopped reading after ${drainAfterExitMs / 1000}s (that process was left running)`,
          'console',
          'WARNING',
        ),
      );
    }
    // Not started, or Python without sqlmesh: the probe names the problem and the fix.
    if (!canceled && (exit.spawnError || (exit.exitCode !== 0 && missingSqlmesh))) await checkPython(options.python);
    if (text) {
      for (const event of text.end(exit.exitCode)) emit(event);
      errorLines.push(...text.errors);
    } else if (!runFinished && !exit.spawnError) {
      // The console never reported an end (killed, crashed): say so in the event stream. The
      // error below names the exit itself, so it is not repeated among SQLMesh's own lines.
      const message = canceled ? 'canceled' : (errorLines[errorLines.length - 1] ?? describeExit(exit));
      runFinished = { type: 'run_finished', status: 'error', message, error_class: null };
      synthesized = true;
    }
    let finished = runFinished as EventOf<'run_finished'> | null;
    if (finished && !canceled && exit.exitCode !== 0 && (finished.status === 'success' || finished.status === 'nothing_to_do')) {
      // A process that exits non-zero did not succeed, whatever it printed before.
      finished = {
        ...finished,
        status: 'error',
        message: `SQLMesh ${describeExit(exit)} after reporting ${finished.status.replaceAll('_', ' ')}`,
      };
    }
    if (finished) queue.push(finished);
    const finishedMessage = finished?.status === 'error' && !synthesized ? finished.message : null;
    if (finishedMessage && !errorLines.some((line) => line.includes(finishedMessage))) errorLines.push(finishedMessage);
    const outcome: SqlmeshRunResult = {
      command: rendered,
      cwd: command.cwd,
      durationMs: Date.now() - started,
      exitCode: exit.exitCode,
      signal: exit.signal,
      status: canceled ? 'canceled' : (finished?.status ?? 'error'),
      failed: exit.exitCode !== 0,
      isCanceled: canceled,
      errorLines,
      sqlmeshVersion,
    };
    if (exit.spawnError) throw new SqlmeshRunError(outcome, 'could not be started', { cause: exit.spawnError });
    if (canceled) return outcome;
    const configuration = configurationError(finished, options);
    if (configuration)
      throw new ConfigurationError(configuration, { cause: new SqlmeshRunError(outcome, 'reported a configuration error') });
    if (exit.exitCode === 2) {
      const message = finished?.message ?? errorLines[errorLines.length - 1] ?? 'configuration error';
      throw new ConfigurationError(message, { cause: new SqlmeshRunError(outcome, 'reported a configuration error (exit 2)') });
    }
    if (exit.exitCode === 0 || exit.exitCode === 1) return outcome;
    throw new SqlmeshRunError(outcome, describeExit(exit));
  })();
  // Whatever happens, the event stream ends.
  void result.then(
    () => queue.end(),
    () => queue.end(),
  );

  return {
    command: rendered,
    events: queue,
    result,
    kill(signal = 'SIGTERM') {
      // A process that already exited was not stopped by us: its own outcome stands.
      const sent = child.kill(signal);
      if (sent) canceled = true;
      return sent;
    },
  };
}

const MISSING_SQLMESH = /No module named '?sqlmesh\b/;
const ENVIRONMENT_NOT_FOUND = /^(?:Error: )?Environment '(.+)' was not found\.?$/;

/** SQLMesh errors that are the user's configuration (exit 2), worded with the fix; else null. */
function configurationError(finished: EventOf<'run_finished'> | null, options: NormalizedRunOptions): string | null {
  const environment = finished?.status === 'error' ? ENVIRONMENT_NOT_FOUND.exec(finished.message?.trim() ?? '') : null;
  if (!environment) return null;
  const name = environment[1]!;
  return `SQLMesh environment '${name}' was not found — apply a plan to it first (${planCommand(options, name)}), or pass the name of an existing environment (--environment)`;
}

/**
 * The plan command that creates the environment the run looks for. For a multi-repo project it
 * names every repo and the directory to run it from: the state SQLMesh reads (a relative DuckDB
 * path) is found relative to that directory.
 */
function planCommand(options: NormalizedRunOptions, environment: string): string {
  if (options.projects.length === 1) return `sqlmesh plan ${environment}`;
  const paths = options.projects.map((project) => `-p ${relative(options.cwd, project) || '.'}`).join(' ');
  return `from ${options.cwd}: sqlmesh ${paths} plan ${environment}`;
}

function describeExit(exit: ChildExit): string {
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${String(exit.exitCode)}`;
}

/** A stream being read line by line: `done` when it ended, `stop()` to give up on it. */
interface Pump {
  readonly done: Promise<void>;
  stop(): void;
}

/** Split `stream` into lines of at most `maxBytes` and hand each to `onLine`, pausing while the queue is full. */
function pump(stream: Readable, queue: AsyncQueue<SqlmeshEvent>, onLine: (line: string) => void, maxBytes?: number): Pump {
  const lines = splitLines(stream, maxBytes);
  let stopped = false;
  let finish!: () => void;
  const done = new Promise<void>((resolvePump) => (finish = resolvePump));
  lines.on('data', (line: string) => {
    if (stopped) return;
    onLine(line);
    if (queue.full) {
      lines.pause();
      queue.onDrain(() => lines.resume());
    }
  });
  lines.once('end', finish);
  lines.once('close', finish);
  // A broken pipe ends the stream for us; the exit status tells the story.
  lines.once('error', finish);
  stream.once('error', finish);
  return {
    done,
    stop() {
      stopped = true;
      stream.destroy();
      finish();
    },
  };
}
