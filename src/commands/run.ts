import { setTimeout as delay } from 'node:timers/promises';
import { ExitCode, UsageError } from '../errors.js';
import type { PipesContext } from '../pipes/context.js';
import { openDagsterPipes, openMockDagsterPipes } from '../pipes/open.js';
import { isDagsterPipesProcess } from '../pipes/params.js';
import type { MetadataMap } from '../report/metadata.js';
import { Reporter, type ReportSink } from '../report/reporter.js';
import { summaryTable } from '../report/terminal.js';
import { capText } from '../sqlmesh/cap-lines.js';
import { buildManifest, indexManifest, type ManifestIndex, readManifestFile } from '../sqlmesh/manifest.js';
import { runSqlmesh, SqlmeshRunError, type SqlmeshRunResult } from '../sqlmesh/process.js';
import { type ResolvedScope, resolveScope } from './run-scope.js';
import { type RunFlags, type RunSettings, readExtras, resolveRunSettings } from './run-settings.js';

/** Longest log message sent to Dagster; a longer one (a huge print, a query in an error) is cut. */
const MAX_LOG_MESSAGE_CHARS = 64 * 1024;

/**
 * `sqlmesh-pipes run`: ONE `sqlmesh run`, its events reported over Pipes (or the mock context
 * outside Dagster). Returns the exit code; under Dagster with our extras, model failures exit 0
 * and travel in the run summary so PipesSubprocessClient keeps the successes.
 */
export async function runCommand(flags: RunFlags): Promise<number> {
  if (isDagsterPipesProcess({ argv: flags.argv })) return runUnderDagster(flags);
  return runOutsideDagster(flags);
}

async function runUnderDagster(flags: RunFlags): Promise<number> {
  // Opened first, so that every later error reaches Dagster in `closed`.
  const pipes = asUsageError(
    () => openDagsterPipes({ argv: flags.argv }),
    (why) =>
      `cannot start the Dagster Pipes session: ${why} — launch sqlmesh-pipes from Dagster (SQLMeshResource or PipesSubprocessClient), or unset DAGSTER_PIPES_CONTEXT to run it outside Dagster`,
  );
  return closingOnEveryPath(pipes, async () => {
    const settings = resolveRunSettings(flags, readExtras(pipes.data.extras));
    const index = await manifestFor(settings, pipes.signal);
    const resolved = resolveScope(index, settings, pipes.data.asset_keys);
    const summaryExit = await execute(pipes, settings, index, resolved, null);
    // Our Dagster side fails the step from the run summary; a bare Pipes client needs the exit code.
    return settings.extras ? ExitCode.ok : summaryExit;
  });
}

async function runOutsideDagster(flags: RunFlags): Promise<number> {
  const settings = resolveRunSettings(flags, null);
  const index = await manifestFor(settings);
  const resolved = resolveScope(index, settings, null);
  const pipes = asUsageError(
    () => openMockDagsterPipes({ assetKeys: resolved.assetKeys, messagesFile: settings.messagesFile, echo: null }),
    (why) => `cannot write the messages file ${settings.messagesFile}: ${why} — pass --messages-file a file path in an existing directory`,
  );
  return closingOnEveryPath(pipes, () => execute(pipes, settings, index, resolved, process.stdout));
}

/** Run `open`; a failure becomes a one-line UsageError (exit 2) worded by `explain`. */
function asUsageError<T>(open: () => T, explain: (why: string) => string): T {
  try {
    return open();
  } catch (error) {
    throw new UsageError(explain(describeOpenError(error)), { cause: error });
  }
}

/** A system error as people say it (`no such file or directory`), else the error's first line. */
function describeOpenError(error: unknown): string {
  if (error instanceof Error && 'code' in error && 'syscall' in error) {
    const known: Record<string, string> = {
      ENOENT: 'its directory does not exist',
      EISDIR: 'it is a directory',
      EACCES: 'permission denied',
    };
    return known[String(error.code)] ?? error.message;
  }
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

/**
 * Run `work`, then close: with the error when it throws (rethrown); not at all after SIGINT/SIGTERM,
 * where the signal handler closes with the interruption and exits.
 */
async function closingOnEveryPath(pipes: PipesContext, work: () => Promise<number>): Promise<number> {
  try {
    const code = await work();
    if (pipes.termination.reason === null) await pipes.close();
    return code;
  } catch (error) {
    await pipes.close(error);
    throw error;
  }
}

function manifestFor(settings: RunSettings, signal?: AbortSignal): Promise<ManifestIndex> {
  const manifest = settings.manifest
    ? readManifestFile(settings.manifest)
    : buildManifest({
        project: settings.project,
        gateway: settings.gateway,
        sqlmeshPython: settings.sqlmeshPython,
        ...(signal ? { signal } : {}),
      });
  return manifest.then(indexManifest);
}

/** Pipes as the reporter's sink: one place that knows the Pipes method signatures. */
function pipesSink(pipes: PipesContext, terminal: NodeJS.WritableStream | null): ReportSink {
  return {
    log: (text, level) => {
      const message = capText(text, MAX_LOG_MESSAGE_CHARS);
      pipes.log.log(level, message);
      terminal?.write(`${level === 'INFO' ? '' : `${level}: `}${message}\n`);
    },
    materialize: (assetKey, metadata: MetadataMap) => pipes.reportAssetMaterialization({ assetKey, metadata }),
    check: (assetKey, checkName, result) =>
      pipes.reportAssetCheck({ assetKey, checkName, passed: result.passed, severity: result.severity, metadata: result.metadata }),
    custom: (payload) => pipes.reportCustomMessage(payload as never),
  };
}

/**
 * A run SQLMesh itself calls failed (non-zero exit, `run_finished` failed) for which no event the
 * executor could read says why: still a failure, with SQLMesh's last error lines. Null otherwise.
 */
function unexplainedFailure(result: SqlmeshRunResult, reporter: Reporter): string | null {
  if (result.isCanceled || reporter.hasFailure || (result.status !== 'failed' && !result.failed)) return null;
  const lines = result.errorLines.filter((line) => line !== 'Run failed.').slice(-5);
  return `SQLMesh reported a failed run (exit code ${String(result.exitCode)}) but no model failure the executor could read${lines.length > 0 ? `:\n${lines.join('\n')}` : ' — see its output above'}`;
}

/** Run SQLMesh once and report; returns the exit code the run deserves (0 ok / 1 failed). */
async function execute(
  pipes: PipesContext,
  settings: RunSettings,
  index: ManifestIndex,
  resolved: ResolvedScope,
  terminal: NodeJS.WritableStream | null,
): Promise<number> {
  const started = performance.now();
  pipes.allowCheckAssetKeys(resolved.checkAssetKeys);
  const reporter = new Reporter(pipesSink(pipes, terminal), resolved.scope);
  for (const model of resolved.checkOnlyModels) {
    pipes.log.warning(
      `${model}: checks selected without the asset — not evaluated: SQLMesh runs audits only while it evaluates the model; select the asset to run its audits`,
    );
  }
  for (const audit of resolved.unrunnableAudits) {
    pipes.log.warning(
      `standalone audit ${audit}: not evaluated — SQLMesh runs standalone audits only in a run of the whole project, not with --select-model; materialize every SQLMesh asset to run it`,
    );
  }
  if (resolved.select !== null && resolved.select.length === 0) {
    pipes.log.info('no SQLMesh model asset is selected in this step: SQLMesh is not run');
    reporter.finish(performance.now() - started);
    return ExitCode.ok;
  }

  const invocation = await runSqlmesh({
    python: settings.sqlmeshPython,
    project: settings.project,
    environment: settings.environment,
    gateway: settings.gateway,
    selectModels: resolved.select,
    ignoreCron: settings.ignoreCron,
    executionTime: settings.executionTime,
    start: settings.start,
    end: settings.end,
    console: settings.console,
    concurrentTasks: settings.concurrentTasks,
    fqnToName: index.fqnToName,
    knownNodes: new Set(index.nodes.keys()),
  });
  // Termination: stop SQLMesh, let this function report what finished, and only then close.
  let done!: () => void;
  const reported = new Promise<void>((resolve) => (done = resolve));
  const unregister = pipes.termination.onTerminate(async (signal) => {
    invocation.kill(signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
    // Python only sees the signal between bytecodes: a long engine query (DuckDB) ignores it.
    // Dagster kills the executor after its termination timeout, so escalate well before that.
    const stopped = await Promise.race([reported.then(() => true), delay(settings.stopGraceMs, false, { ref: false })]);
    if (!stopped) {
      pipes.log.warning(`SQLMesh did not stop within ${settings.stopGraceMs / 1000}s of ${signal}: killing it (SIGKILL)`);
      invocation.kill('SIGKILL');
      await reported;
    }
  });
  let consumed = false;
  try {
    for await (const event of invocation.events) reporter.handle(event);
    consumed = true;
    // A crash (not SQLMesh's own failure semantics) still fails the run AFTER the successes.
    const ended = await invocation.result.then(
      (result) => ({ result, crash: null }),
      (error: unknown) => {
        if (error instanceof SqlmeshRunError) return { result: error.result, crash: error.message };
        throw error;
      },
    );
    const runError = pipes.termination.reason
      ? `interrupted by ${pipes.termination.reason}: SQLMesh was stopped`
      : (ended.crash ?? unexplainedFailure(ended.result, reporter));
    const { summary, models } = reporter.finish(performance.now() - started, runError);
    terminal?.write(`\n${summaryTable(models, summary)}\n`);
    return summary.exit_code;
  } finally {
    // Reporting failed mid-run: do not leave SQLMesh running unobserved.
    if (!consumed) invocation.kill('SIGTERM');
    unregister();
    done();
  }
}
