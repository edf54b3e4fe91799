#!/usr/bin/env node
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { dueCommand } from './commands/due.js';
import { manifestCommand } from './commands/manifest.js';
import { runCommand } from './commands/run.js';
import { scheduleCommand } from './commands/schedule.js';
import { ConfigurationError, ExitCode, UsageError } from './errors.js';

const USAGE = `Usage:
  sqlmesh-pipes run --project DIR [--project DIR]... [--environment prod] [--gateway NAME]
                    [--select-model NAME]... [--ignore-cron] [--fetch-row-counts] [--execution-time ISO]
                    [--start ISO --end ISO] [--restate-model NAME]... [--sqlmesh-python PATH] [--console json|text]
                    [--concurrent-tasks N] [--manifest FILE] [--messages-file FILE]
  sqlmesh-pipes manifest --project DIR [--project DIR]... [--gateway NAME] [--sqlmesh-python PATH] [--out FILE]
                         [--no-column-lineage]
  sqlmesh-pipes schedule (--manifest FILE | --project DIR [--project DIR]...) [--gateway NAME] [--ignore-cron]
  sqlmesh-pipes due --manifest FILE --at ISO [--since ISO | --schedule-cron CRON [--schedule-tz ZONE]]

A multi-repo SQLMesh project (sqlmesh -p repo_1 -p repo_2) takes --project once per repo, in the
same order; SQLMesh then runs in their common parent directory.

Exit codes: 0 success or nothing due, 1 a model or audit failed, 2 usage or configuration error.`;

const OPTIONS = {
  project: { type: 'string', multiple: true },
  environment: { type: 'string' },
  gateway: { type: 'string' },
  'select-model': { type: 'string', multiple: true },
  'restate-model': { type: 'string', multiple: true },
  'ignore-cron': { type: 'boolean' },
  'fetch-row-counts': { type: 'boolean' },
  'execution-time': { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  'sqlmesh-python': { type: 'string' },
  console: { type: 'string' },
  'concurrent-tasks': { type: 'string' },
  manifest: { type: 'string' },
  'messages-file': { type: 'string' },
  out: { type: 'string' },
  'no-column-lineage': { type: 'boolean' },
  at: { type: 'string' },
  since: { type: 'string' },
  'schedule-cron': { type: 'string' },
  'schedule-tz': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  // Dagster's CLI-argument bootstrap form; read by the Pipes params loader.
  'dagster-pipes-context': { type: 'string' },
  'dagster-pipes-messages': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

type Flags = ReturnType<typeof parseFlags>;

function parseFlags(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message} — see \`sqlmesh-pipes --help\``);
  }
}

const ALLOWED: Record<string, ReadonlySet<string>> = {
  run: new Set([
    'project',
    'environment',
    'gateway',
    'select-model',
    'restate-model',
    'ignore-cron',
    'fetch-row-counts',
    'execution-time',
    'start',
    'end',
    'sqlmesh-python',
    'console',
    'concurrent-tasks',
    'manifest',
    'messages-file',
    'dagster-pipes-context',
    'dagster-pipes-messages',
  ]),
  manifest: new Set(['project', 'gateway', 'sqlmesh-python', 'out', 'no-column-lineage']),
  schedule: new Set(['manifest', 'project', 'gateway', 'sqlmesh-python', 'ignore-cron']),
  due: new Set(['manifest', 'at', 'since', 'schedule-cron', 'schedule-tz']),
};

/** Refuse flags that belong to another command, naming them. */
function checkFlags(command: string, flags: Flags['values']): void {
  const allowed = ALLOWED[command]!;
  const stray = Object.keys(flags).filter((name) => name !== 'help' && !allowed.has(name));
  if (stray.length > 0) throw new UsageError(`\`${command}\` does not take --${stray.join(', --')} — see \`sqlmesh-pipes --help\``);
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number >= 1, got ${JSON.stringify(value)}`);
  return n;
}

/** Run one CLI invocation; returns the exit code (errors are printed, never thrown). */
export async function main(argv: string[]): Promise<number> {
  let command: string | undefined;
  try {
    const { values, positionals } = parseFlags(argv);
    command = positionals[0];
    if (values.help || command === undefined || command === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return values.help || command === 'help' ? ExitCode.ok : ExitCode.usage;
    }
    if (!(command in ALLOWED)) throw new UsageError(`unknown command ${JSON.stringify(command)} — use run, manifest, schedule or due`);
    if (positionals.length > 1)
      throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])} — see \`sqlmesh-pipes --help\``);
    checkFlags(command, values);

    switch (command) {
      case 'manifest': {
        if (!values.project) throw new UsageError('manifest needs --project DIR (repeat it for a multi-repo project)');
        const manifest = await manifestCommand({
          projects: values.project,
          gateway: values.gateway,
          sqlmeshPython: values['sqlmesh-python'],
          out: values.out,
          columnLineage: !values['no-column-lineage'],
        });
        if (!values.out) process.stdout.write(`${JSON.stringify(manifest)}\n`);
        return ExitCode.ok;
      }
      case 'schedule': {
        const schedule = await scheduleCommand({
          manifest: values.manifest,
          projects: values.project ?? [],
          gateway: values.gateway,
          sqlmeshPython: values['sqlmesh-python'],
          ignoreCron: values['ignore-cron'] ?? false,
        });
        process.stdout.write(`${JSON.stringify(schedule)}\n`);
        return ExitCode.ok;
      }
      case 'due': {
        const due = await dueCommand({
          manifest: values.manifest,
          at: values.at,
          since: values.since,
          scheduleCron: values['schedule-cron'],
          scheduleTz: values['schedule-tz'],
        });
        process.stdout.write(`${JSON.stringify(due)}\n`);
        return ExitCode.ok;
      }
      default:
        return await runCommand({
          argv,
          projects: values.project ?? [],
          environment: values.environment,
          gateway: values.gateway,
          selectModels: values['select-model'] ?? [],
          restateModels: values['restate-model'],
          ignoreCron: values['ignore-cron'],
          fetchRowCounts: values['fetch-row-counts'],
          executionTime: values['execution-time'],
          start: values.start,
          end: values.end,
          sqlmeshPython: values['sqlmesh-python'],
          console: values.console,
          concurrentTasks: positiveInt('concurrent-tasks', values['concurrent-tasks']),
          manifest: values.manifest,
          messagesFile: values['messages-file'],
        });
    }
  } catch (error) {
    return reportError(error, command);
  }
}

/** One line for usage errors; the message and stack for anything unexpected. */
function reportError(error: unknown, command: string | undefined): number {
  if (error instanceof ConfigurationError) {
    process.stderr.write(`sqlmesh-pipes${command ? ` ${command}` : ''}: ${error.message}\n`);
    return ExitCode.usage;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  process.stderr.write(`sqlmesh-pipes${command ? ` ${command}` : ''}: ${err.message}\n${err.stack ?? ''}\n`);
  return ExitCode.failed;
}

process.exitCode = await main(process.argv.slice(2));
