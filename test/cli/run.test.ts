import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AMOUNTS,
  BASIC,
  cleanScratch,
  END,
  PYTHON,
  plannedProject,
  scenario,
  scratchCopy,
  sqlmeshCli,
} from '../sqlmesh/helpers/projects.js';

// The built CLI (`npm test` builds first) outside Dagster, on real SQLMesh: exit codes, the
// summary table, and the exact Pipes messages in --messages-file (the mock context).
const CLI = resolve('dist', 'cli.js');

let planned: string;
beforeAll(async () => {
  planned = await plannedProject();
});
afterAll(cleanScratch);

async function cli(args: string[]) {
  return execa(process.execPath, [CLI, ...args], { reject: false, env: { ...process.env, SQLMESH_PIPES_PYTHON: PYTHON } });
}

async function runProject(project: string, extra: string[] = []) {
  const messagesFile = join(project, 'messages.jsonl');
  const result = await cli(['run', '--project', project, '--end', END, '--start', '2024-01-03', '--messages-file', messagesFile, ...extra]);
  const lines = (await readFile(messagesFile, 'utf8')).split('\n').filter(Boolean);
  const messages = lines.map((line) => JSON.parse(line) as { method: string; params: Record<string, unknown> });
  return { result, lines, messages };
}

const methodsOf = (messages: { method: string; params: Record<string, unknown> }[], method: string) =>
  messages.filter((m) => m.method === method).map((m) => m.params);

describe.concurrent('sqlmesh-pipes run (built CLI, mock context, real SQLMesh)', () => {
  it('materializes every evaluated model, prints a summary, exits 0', async () => {
    const { result, lines, messages } = await runProject(await scenario(planned));
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^model\s+status\s+checks\s+batches\s+duration$/m);
    expect(result.stdout).toMatch(/^demo\.events\s+ok\s+-\s+4\s+/m);
    expect(result.stdout).toMatch(/^demo\.amounts\s+ok\s+2 passed\s+1\s+/m);
    expect(result.stdout).toMatch(/Run succeeded: 4 ok/);
    // The same bytes Dagster would read: ASCII JSON, one message per line, opened first, closed last.
    expect(lines.every((line) => /^[\x20-\x7e]+$/.test(line))).toBe(true);
    expect(messages[0]).toEqual({ __dagster_pipes_version: '0.1', method: 'opened', params: { extras: {} } });
    expect(messages.at(-1)).toEqual({ __dagster_pipes_version: '0.1', method: 'closed', params: {} });
    const materialized = methodsOf(messages, 'report_asset_materialization');
    expect(materialized.map((p) => p.asset_key).sort()).toEqual([
      'db/demo/amounts',
      'db/demo/amounts_summary',
      'db/demo/events',
      'db/demo/events_daily',
    ]);
    const events = materialized.find((p) => p.asset_key === 'db/demo/events')!;
    expect(events.metadata).toMatchObject({
      'sqlmesh/batches': { raw_value: '4 committed', type: 'text' },
      'dagster/table_name': { raw_value: 'db.demo.events', type: 'text' },
    });
    // The kind is the definition's (sqlmesh_pipes/kind), not repeated on every materialization.
    expect(events.metadata).not.toHaveProperty('sqlmesh/kind');
    expect(methodsOf(messages, 'report_asset_check').map((p) => [p.asset_key, p.check_name, p.passed, p.severity])).toEqual([
      ['db/demo/amounts', 'not_null', true, 'ERROR'],
      ['db/demo/amounts', 'accepted_range', true, 'WARN'],
    ]);
    const [summary] = methodsOf(messages, 'report_custom_message');
    expect(summary).toMatchObject({ payload: { kind: 'sqlmesh_pipes/run_summary', status: 'success', exit_code: 0 } });
  });

  it('a failed model: exits 1, successes reported first, downstream skipped, SQLMesh error text kept', async () => {
    const { result, messages } = await runProject(await scenario(planned, AMOUNTS.sqlError));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^demo\.amounts\s+FAILED/m);
    expect(result.stdout).toMatch(/^demo\.amounts_summary\s+skipped/m);
    expect(
      methodsOf(messages, 'report_asset_materialization')
        .map((p) => p.asset_key)
        .sort(),
    ).toEqual(['db/demo/events', 'db/demo/events_daily']);
    const errors = methodsOf(messages, 'log')
      .filter((p) => p.level === 'ERROR')
      .map((p) => String(p.message));
    expect(errors.at(-1)).toMatch(/^SQLMesh run failed for 1 node\(s\):\ndemo\.amounts: ConversionException: .*abc/s);
    const methods = messages.map((m) => m.method);
    expect(methods.lastIndexOf('report_asset_materialization')).toBeLessThan(methods.indexOf('report_custom_message'));
    expect(messages.at(-1)).toMatchObject({ method: 'closed', params: {} });
  });

  it('a batch failing a blocking AND a non-blocking audit: both checks failed (ERROR, WARN)', async () => {
    // SQLMesh raises for the blocking audit before it would warn about the non-blocking one.
    const { result, messages } = await runProject(await scenario(planned, 'id,amount\n1,10\n,-20\n'));
    expect(result.exitCode).toBe(1);
    expect(methodsOf(messages, 'report_asset_check').map((p) => [p.check_name, p.passed, p.severity])).toEqual([
      ['not_null', false, 'ERROR'],
      ['accepted_range', false, 'WARN'],
    ]);
  });

  it('--select-model runs only that model (no upstream) and reports only it', async () => {
    const { result, messages } = await runProject(await scenario(planned), ['--select-model', 'demo.events_daily']);
    expect(result.exitCode).toBe(0);
    expect(methodsOf(messages, 'report_asset_materialization').map((p) => p.asset_key)).toEqual(['db/demo/events_daily']);
  });

  it('nothing due on an immediate re-run: exit 0, nothing materialized, every model explained', async () => {
    const project = await scenario(planned);
    await runProject(project);
    const { result, messages } = await runProject(project);
    expect(result.exitCode).toBe(0);
    expect(methodsOf(messages, 'report_asset_materialization')).toEqual([]);
    expect(result.stdout).toMatch(/Nothing to do: 4 not due/);
    // Log lines logged together reach Pipes as one message, a line each.
    expect(methodsOf(messages, 'log').flatMap((p) => String(p.message).split('\n'))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^demo\.events: not materialized — no interval was due in this run \(SQLMesh: next run ready at .+\)$/),
      ]),
    );
  });

  it.each([
    [['run'], /^sqlmesh-pipes run: run needs --project DIR/],
    [['run', '--project', '/nonexistent/project'], /project/],
    [['run', '--project', BASIC, '--console', 'xml'], /--console must be json or text, got "xml"/],
    [['run', '--project', BASIC, '--start', '2024-01-01'], /--start and --end go together/],
    [['run', '--project', BASIC, '--execution-time', 'yesterday-ish'], /--execution-time must be an ISO-8601 date or time/],
    [['run', '--project', BASIC, '--concurrent-tasks', '0'], /--concurrent-tasks must be a whole number >= 1, got "0"/],
    [['run', '--project', BASIC, '--out', 'x'], /`run` does not take --out/],
    [['frobnicate'], /unknown command "frobnicate" — use run, manifest, schedule or due/],
    [['run', '--project', BASIC, '--bogus'], /Unknown option '--bogus'/],
  ])('usage error %j: one line, exit 2', async (args, message) => {
    const result = await cli(args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  it('a bad gateway and a python without sqlmesh: one line, exit 2', async () => {
    const project = await scratchCopy(BASIC);
    const gateway = await cli(['run', '--project', project, '--gateway', 'nope']);
    expect([gateway.exitCode, gateway.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(gateway.stderr).toMatch(/nope/);
    const python = await cli(['run', '--project', project, '--sqlmesh-python', '/nonexistent/python']);
    expect(python.exitCode).toBe(2);
    expect(python.stderr.trim()).toMatch(
      /^sqlmesh-pipes run: SQLMesh python not found: \/nonexistent\/python — pass --sqlmesh-python PATH/,
    );
  });

  it('schedule: the adaptive cron of a project as JSON', async () => {
    const result = await cli(['schedule', '--project', BASIC]);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      cron: '0 0 * * *',
      interval_seconds: 86_400,
      timezone: 'UTC',
      crons: ['@daily'],
      basis: 'model_cron',
    });
  });
});

describe('sqlmesh-pipes run: SIGINT (built CLI, real SQLMesh)', () => {
  it('stops SQLMesh, reports what finished, writes closed with the interruption, exits 130', async () => {
    const project = await scratchCopy(BASIC);
    // A model that runs for minutes: the interruption must come while SQLMesh is busy.
    await writeFile(
      join(project, 'models', 'slow.sql'),
      "MODEL (name demo.slow, kind FULL, cron '@daily');\nSELECT SUM(a.range * b.range) AS x FROM range(0, 2000000) a, range(0, 2000000) b\n",
    );
    await sqlmeshCli(project, ['plan', '--auto-apply', '--no-prompts', '--skip-backfill', '--execution-time', '2024-01-03']);
    const messagesFile = join(project, 'messages.jsonl');
    const child = execa(
      process.execPath,
      [CLI, 'run', '--project', project, '--end', END, '--start', '2024-01-03', '--messages-file', messagesFile],
      {
        reject: false,
        env: { ...process.env, SQLMESH_PIPES_PYTHON: PYTHON },
      },
    );
    // Wait for a first model to finish; demo.slow then keeps SQLMesh busy for minutes.
    const materializedSoFar = async () =>
      (await readFile(messagesFile, 'utf8').catch(() => '')).split('report_asset_materialization').length - 1;
    await expect.poll(materializedSoFar, { timeout: 60_000, interval: 200 }).toBeGreaterThanOrEqual(1);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    const messages = (await readFile(messagesFile, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    expect(messages.at(-1)).toMatchObject({
      method: 'closed',
      params: { exception: { name: 'PipesInterruptedError', message: 'interrupted by SIGINT' } },
    });
    const summary = messages.find((m) => m.method === 'report_custom_message').params.payload;
    // Not started yet (not_run), or DuckDB interrupted its query and SQLMesh failed the batch.
    const slow = summary.models.find((m: { model: string }) => m.model === 'demo.slow');
    expect(['not_run', 'failed']).toContain(slow.outcome);
    if (slow.outcome === 'failed') expect(slow.reason).toMatch(/interrupt/i);
    const materialized = summary.models.filter((m: { outcome: string }) => m.outcome === 'materialized');
    expect(materialized.length).toBeGreaterThanOrEqual(1);
    expect(messages.filter((m) => m.method === 'report_asset_materialization')).toHaveLength(materialized.length);
    // No SQLMesh process is left behind.
    const ps = await execa('ps', ['-eo', 'args'], { reject: false });
    expect(ps.stdout.split('\n').filter((line) => line.includes(project) && line.includes('sqlmesh_pipes_console'))).toEqual([]);
  });
});
