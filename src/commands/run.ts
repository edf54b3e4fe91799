import { ExitCode, UsageError } from '../errors.js';
import type { PipesContext } from '../pipes/context.js';
import { openDagsterPipes, openMockDagsterPipes } from '../pipes/open.js';
import { isDagsterPipesProcess } from '../pipes/params.js';
import { pipesSink } from '../report/pipes-sink.js';
import { Reporter } from '../report/reporter.js';
import { summaryTable } from '../report/terminal.js';
import { auditOnlyNote, checkOnlyWarning, restatementNote, unrunnableAuditWarning } from '../report/wording.js';
import { buildManifest, indexManifest, type ManifestIndex, readManifestFile } from '../sqlmesh/manifest.js';
import type { RunSqlmeshOptions } from '../sqlmesh/options.js';
import { runSqlmesh } from '../sqlmesh/process.js';
import { runError } from './run-error.js';
import { type ResolvedScope, resolveScope } from './run-scope.js';
import { type RunFlags, type RunSettings, readExtras, resolveRunSettings } from './run-settings.js';
import { stopOnTermination } from './run-termination.js';

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
    () => openMockDagsterPipes({ assetKeys: resolved.mockAssetKeys, messagesFile: settings.messagesFile, echo: null }),
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
        project: settings.projects,
        gateway: settings.gateway,
        sqlmeshPython: settings.sqlmeshPython,
        ...(signal ? { signal } : {}),
      });
  return manifest.then(indexManifest);
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
  // Checks without their asset: SQLMesh audits those models in place (JSON console only).
  const audited = settings.console === 'json' ? resolved.checkOnlyModels : [];
  if (audited.length > 0) pipes.log.info(auditOnlyNote(audited));
  else for (const model of resolved.checkOnlyModels) pipes.log.warning(checkOnlyWarning(model));
  for (const audit of resolved.unrunnableAudits) pipes.log.warning(unrunnableAuditWarning(audit));
  if (settings.restateModels.length > 0) pipes.log.info(restatementNote(settings.restateModels, settings.start, settings.end));
  if (resolved.select !== null && resolved.select.length === 0 && audited.length === 0) {
    pipes.log.info('no SQLMesh model asset is selected in this step: SQLMesh is not run');
    reporter.finish(performance.now() - started);
    return ExitCode.ok;
  }

  const invocation = await runSqlmesh(runOptions(settings, index, resolved, audited));
  const termination = stopOnTermination(pipes, invocation, settings.stopGraceMs);
  let consumed = false;
  try {
    for await (const event of invocation.events) reporter.handle(event);
    consumed = true;
    // A crash (not SQLMesh's own failure semantics) still fails the run AFTER the successes.
    const { summary, models } = reporter.finish(performance.now() - started, await runError(invocation.result, pipes, reporter));
    terminal?.write(`\n${summaryTable(models, summary)}\n`);
    return summary.exit_code;
  } finally {
    // Reporting failed mid-run: do not leave SQLMesh running unobserved.
    if (!consumed) invocation.kill('SIGTERM');
    termination.unregister();
    termination.reported();
  }
}

/** The one `sqlmesh run` this step asks for. */
function runOptions(settings: RunSettings, index: ManifestIndex, resolved: ResolvedScope, audited: readonly string[]): RunSqlmeshOptions {
  return {
    auditModels: audited.flatMap((name) => index.nodes.get(name)?.fqn ?? []),
    python: settings.sqlmeshPython,
    project: settings.projects,
    environment: settings.environment,
    gateway: settings.gateway,
    selectModels: resolved.select,
    restateModels: settings.restateModels,
    ignoreCron: settings.ignoreCron,
    fetchRowCounts: settings.fetchRowCounts,
    executionTime: settings.executionTime,
    start: settings.start,
    end: settings.end,
    console: settings.console,
    concurrentTasks: settings.concurrentTasks,
    fqnToName: index.fqnToName,
    knownNodes: new Set(index.nodes.keys()),
  };
}
