import { EVENTS_FD_ENV } from '../contracts/constants.js';
import type { NormalizedRunOptions } from './options.js';
import { sqlmeshEnv } from './python.js';

/** The file descriptor the JSON console writes its events to (SQLMesh's stdio 3). */
export const EVENTS_FD = 3;

/** `sqlmesh` CLI entry, exactly what the installed `sqlmesh` script runs (no __main__ in sqlmesh.cli). */
export const CLI_BOOTSTRAP = 'import sys; from sqlmesh.cli.main import cli; sys.argv[0] = "sqlmesh"; sys.exit(cli())';

/** What to spawn for one run. */
export interface SqlmeshCommand {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Record<string, string | undefined>;
}

/** Build the python invocation for `options`: our JSON console shim, or the unmodified CLI. */
export function sqlmeshCommand(options: NormalizedRunOptions): SqlmeshCommand {
  return options.console === 'json' ? jsonCommand(options) : textCommand(options);
}

function jsonCommand(o: NormalizedRunOptions): SqlmeshCommand {
  const args = ['-m', 'sqlmesh_pipes_console', 'run'];
  for (const project of o.projects) args.push('--project', project);
  if (o.environment !== null) args.push('--environment', o.environment);
  if (o.gateway !== null) args.push('--gateway', o.gateway);
  for (const model of o.selectModels ?? []) args.push('--select-model', model);
  for (const fqn of o.auditModels) args.push('--audit-model', fqn);
  // Nothing selected to run: only the in-place audits.
  for (const model of o.restateModels) args.push('--restate-model', model);
  if (o.auditModels.length > 0 && o.selectModels?.length === 0 && o.restateModels.length === 0) args.push('--audit-only');
  // A restatement plan has no cron to ignore.
  if (o.ignoreCron && o.restateModels.length === 0) args.push('--ignore-cron');
  if (o.fetchRowCounts) args.push('--fetch-row-counts');
  if (o.executionTime !== null) args.push('--execution-time', o.executionTime);
  if (o.start !== null) args.push('--start', o.start);
  if (o.end !== null) args.push('--end', o.end);
  if (o.concurrentTasks !== null) args.push('--concurrent-tasks', String(o.concurrentTasks));
  if (o.skipJanitor) args.push('--skip-janitor');
  return {
    file: o.python,
    args,
    cwd: o.cwd,
    env: sqlmeshEnv({ ...o.env, [EVENTS_FD_ENV]: String(EVENTS_FD) }),
  };
}

function textCommand(o: NormalizedRunOptions): SqlmeshCommand {
  const args = ['-c', CLI_BOOTSTRAP];
  for (const project of o.projects) args.push('--paths', project);
  if (o.gateway !== null) args.push('--gateway', o.gateway);
  args.push('run');
  if (o.environment !== null) args.push(o.environment);
  if (o.start !== null) args.push('--start', o.start);
  if (o.end !== null) args.push('--end', o.end);
  if (o.ignoreCron) args.push('--ignore-cron');
  if (o.skipJanitor) args.push('--skip-janitor');
  for (const model of o.selectModels ?? []) args.push('--select-model', model);
  // Same semantics as the JSON console: Dagster chose the models, never pull in upstream.
  if (o.selectModels !== null) args.push('--no-auto-upstream');
  const extra: Record<string, string> = { ...o.env };
  if (o.concurrentTasks !== null && o.gateway !== null) {
    // SQLMesh's config-from-env override (keys are lower-cased by SQLMesh).
    extra[`SQLMESH__GATEWAYS__${o.gateway.toUpperCase()}__CONNECTION__CONCURRENT_TASKS`] = String(o.concurrentTasks);
  }
  return { file: o.python, args, cwd: o.cwd, env: sqlmeshEnv(extra) };
}

/** A shell-like rendering of the command, for messages. */
export function formatCommand(command: Pick<SqlmeshCommand, 'file' | 'args'>): string {
  return [command.file, ...command.args]
    .map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : `'${part.replaceAll("'", "'\\''")}'`))
    .join(' ');
}
