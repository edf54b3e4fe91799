import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { type RunSqlmeshOptions, runSqlmesh } from '../../src/sqlmesh/process.js';
import { SHIM_PYTHONPATH, sqlmeshEnv } from '../../src/sqlmesh/python.js';
import { ALL_BATCHES, collect, comparable, outline, withoutTimings } from './helpers/events.js';
import { AMOUNTS, BASIC, cleanScratch, END, PYTHON, plannedProject, scenario, scratchCopy } from './helpers/projects.js';

// Real SQLMesh (the repo's .venv) on scratch copies of test/fixtures/projects/basic, planned once
// for this file at 2024-01-03 and run up to 2024-01-06: demo.events has 4 daily batches
// (batch_size 1), demo.amounts/amounts_summary are FULL, demo.events_daily is incremental.
// Each scenario runs through the JSON console (exact events asserted) AND through the text
// fallback on its own copy: both must give the same events, once the fields the text console
// cannot know are set aside (helpers/events.ts `comparable`).

let planned: string;
beforeAll(async () => {
  planned = await plannedProject();
});
afterAll(cleanScratch);

async function run(project: string, options: Partial<RunSqlmeshOptions> = {}) {
  return collect(await runSqlmesh({ project, end: END, python: PYTHON, ...options }));
}

/**
 * Run a scenario with the JSON console and, on a second copy in parallel, with the text
 * fallback; assert they agree; return the JSON run. `runs` > 1 re-runs on the same copy.
 */
async function runBoth(makeProject: () => Promise<string>, options: Partial<RunSqlmeshOptions> = {}, runs = 1, ordered = true) {
  const once = async (console: 'json' | 'text') => {
    const project = await makeProject();
    let outcome = await run(project, { ...options, console });
    for (let i = 1; i < runs; i++) outcome = await run(project, { ...options, console });
    return outcome;
  };
  const [json, text] = await Promise.all([once('json'), once('text')]);
  expect([text.result?.exitCode, text.result?.status]).toEqual([json.result?.exitCode, json.result?.status]);
  const key = (events: typeof json.events) =>
    ordered
      ? comparable(events)
      : comparable(events)
          .map((e) => JSON.stringify(e))
          .sort();
  expect(key(text.events)).toEqual(key(json.events));
  return json;
}

describe.concurrent('runSqlmesh: JSON console, and the text fallback agreeing with it (real SQLMesh)', () => {
  it('runs every due batch, in order, and reports success', async () => {
    const { events, result } = await runBoth(() => scenario(planned));
    expect(result).toMatchObject({ exitCode: 0, status: 'success', failed: false, isCanceled: false, sqlmeshVersion: '0.236.4' });
    expect(withoutTimings(events)).toEqual([
      {
        type: 'run_started',
        environment: 'prod',
        sqlmesh_version: '0.236.4',
        execution_time: null,
        selected_models: null,
        gateway: 'local',
        concurrent_tasks: 1,
      },
      { type: 'evaluation_started', batches: { 'demo.amounts': 1, 'demo.events': 4, 'demo.amounts_summary': 1, 'demo.events_daily': 1 } },
      { type: 'batch_started', model: 'demo.amounts', node: 'model' },
      batch('demo.amounts', ['2024-01-03', '2024-01-07'], 0, 1, 'full refresh', 2),
      { type: 'batch_started', model: 'demo.events', node: 'model' },
      batch('demo.events', ['2024-01-03', '2024-01-04'], 0, 4, 'insert 2024-01-03 - 2024-01-03'),
      { type: 'batch_started', model: 'demo.events', node: 'model' },
      batch('demo.events', ['2024-01-04', '2024-01-05'], 1, 4, 'insert 2024-01-04 - 2024-01-04'),
      { type: 'batch_started', model: 'demo.events', node: 'model' },
      batch('demo.events', ['2024-01-05', '2024-01-06'], 2, 4, 'insert 2024-01-05 - 2024-01-05'),
      { type: 'batch_started', model: 'demo.events', node: 'model' },
      batch('demo.events', ['2024-01-06', '2024-01-07'], 3, 4, 'insert 2024-01-06 - 2024-01-06'),
      { type: 'batch_started', model: 'demo.amounts_summary', node: 'model' },
      batch('demo.amounts_summary', ['2024-01-03', '2024-01-07'], 0, 1, 'full refresh'),
      { type: 'batch_started', model: 'demo.events_daily', node: 'model' },
      batch('demo.events_daily', ['2024-01-03', '2024-01-07'], 0, 1, 'insert 2024-01-03 - 2024-01-06'),
      { type: 'evaluation_finished', success: true },
      { type: 'run_finished', status: 'success', message: null, error_class: null },
    ]);
    for (const event of events) if (event.type === 'batch_evaluated') expect(event.duration_ms).toBeGreaterThanOrEqual(0);
    expect(events).toContainEqual({ type: 'log', level: 'INFO', message: "Run finished for environment 'prod'", source: 'console' });
  });

  it('reports nothing to do, with the next ready time, on an immediate re-run', async () => {
    const { events, result } = await runBoth(() => scenario(planned), {}, 2);
    expect(result).toMatchObject({ exitCode: 0, status: 'nothing_to_do' });
    expect(outline(events)).toEqual(['run_started', 'nothing_to_do', 'run_finished nothing_to_do']);
    const nothing = events.find((e) => e.type === 'nothing_to_do');
    expect(nothing).toMatchObject({ message: expect.stringMatching(/^No models are ready to run\. .*\n\nNext run will be ready at /s) });
    expect(nothing?.type === 'nothing_to_do' && nothing.next_ready_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
  });

  it('fails a model on a SQL error, skips its downstream and still evaluates independent models', async () => {
    const { events, result } = await runBoth(() => scenario(planned, AMOUNTS.sqlError));
    expect(result).toMatchObject({ exitCode: 1, status: 'failed', failed: true });
    expect(outline(events).filter((l) => !l.startsWith('batch_started'))).toEqual([
      'run_started',
      'evaluation_started',
      ...ALL_BATCHES.filter((l) => !l.includes('demo.amounts')),
      'evaluation_finished false',
      'models_skipped demo.amounts_summary',
      'model_failed demo.amounts ConversionException',
      'run_finished failed',
    ]);
    const failure = events.find((e) => e.type === 'model_failed');
    expect(failure).toMatchObject({
      interval: ['2024-01-03T00:00:00Z', '2024-01-07T00:00:00Z'],
      batch_index: 0,
      audit_failures: [],
      message: expect.stringContaining("Conversion Error: Could not convert string 'abc' to INT32"),
    });
    // The failed batch is not a success, even though SQLMesh called update_snapshot_evaluation_progress for it.
    expect(events.some((e) => e.type === 'batch_evaluated' && e.model === 'demo.amounts')).toBe(false);
    expect(events.some((e) => e.type === 'batch_started' && e.model === 'demo.amounts')).toBe(true);
  });

  it('fails a model on a blocking audit with the audit name, args, row count and query', async () => {
    const { events, result } = await runBoth(() => scenario(planned, AMOUNTS.blockingAudit));
    expect(result).toMatchObject({ exitCode: 1, status: 'failed' });
    expect(outline(events)).toContain('models_skipped demo.amounts_summary');
    const failure = events.find((e) => e.type === 'model_failed');
    expect(failure).toEqual({
      type: 'model_failed',
      model: 'demo.amounts',
      node: 'model',
      interval: ['2024-01-03T00:00:00Z', '2024-01-07T00:00:00Z'],
      batch_index: 0,
      error_class: 'NodeAuditsErrors',
      message: 'Audits failed: not_null',
      audit_failures: [
        {
          audit: 'not_null',
          audit_index: 0,
          args: { columns: '(id)' },
          failed_rows: 1,
          query: expect.stringMatching(/^SELECT \* FROM "db"\."sqlmesh__demo"\."demo__amounts__\d+" .*WHERE "id" IS NULL AND TRUE$/),
        },
      ],
    });
  });

  it('reports a non-blocking audit failure as a warning and still succeeds', async () => {
    const { events, result } = await runBoth(() => scenario(planned, AMOUNTS.nonBlockingAudit));
    expect(result).toMatchObject({ exitCode: 0, status: 'success' });
    const lines = outline(events).filter((l) => !l.startsWith('batch_started'));
    expect(lines.slice(0, 4)).toEqual([
      'run_started',
      'evaluation_started',
      'audit_warning demo.amounts',
      'batch_evaluated demo.amounts 1/1',
    ]);
    expect(events.find((e) => e.type === 'audit_warning')).toEqual({
      type: 'audit_warning',
      model: 'demo.amounts',
      message: "demo.amounts: 'accepted_range' audit error: 2 rows failed.",
      batch_index: 0,
      failure: {
        audit: 'accepted_range',
        audit_index: 1,
        args: { column: 'amount', min_v: '0' },
        failed_rows: 2,
        query: expect.stringMatching(/WHERE "amount" < 0 AND TRUE$/),
      },
    });
    expect(events.find((e) => e.type === 'batch_evaluated' && e.model === 'demo.amounts')).toMatchObject({
      audits_passed: 1,
      audits_failed: 1,
    });
  });

  it('runs only the selected model: no upstream leak', async () => {
    const { events, result } = await runBoth(() => scenario(planned), { selectModels: ['demo.events_daily'] });
    expect(result).toMatchObject({ exitCode: 0, status: 'success' });
    expect(outline(events)).toEqual([
      'run_started',
      'evaluation_started',
      'batch_started demo.events_daily',
      'batch_evaluated demo.events_daily 1/1',
      'evaluation_finished true',
      'run_finished success',
    ]);
    expect(events[0]).toMatchObject({ selected_models: ['demo.events_daily'] });
  });

  it('honours concurrentTasks > 1 (same batches, SQLMesh reports the override)', async () => {
    // Text: through SQLMesh's SQLMESH__GATEWAYS__LOCAL__CONNECTION__CONCURRENT_TASKS override.
    const { events, result } = await runBoth(() => scenario(planned), { concurrentTasks: 4, gateway: 'local' }, 1, false);
    expect(result).toMatchObject({ exitCode: 0, status: 'success' });
    expect(events[0]).toMatchObject({ type: 'run_started', concurrent_tasks: 4 });
    expect(
      outline(events)
        .filter((l) => l.startsWith('batch_evaluated'))
        .sort(),
    ).toEqual([...ALL_BATCHES].sort());
    // One locked write per line: every event line parsed (no garbled interleaving became a log).
    expect(events.filter((e) => e.type === 'log' && e.source === 'console' && e.level !== 'INFO')).toEqual([]);
  });

  it('uses the execution time it is given', async () => {
    const { events } = await run(await scenario(planned), { end: null, executionTime: '2024-01-05' });
    expect(events.find((e) => e.type === 'evaluation_started')).toMatchObject({ batches: { 'demo.events': 2 } });
  });

  it('a missing environment (no plan yet) is a configuration error naming the fix, in both consoles', async () => {
    for (const console of ['json', 'text'] as const) {
      const { events, error } = await run(await scratchCopy(BASIC), { console });
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toBe(
        "SQLMesh environment 'prod' was not found — apply a plan to it first (sqlmesh plan prod), or pass the name of an existing environment (--environment)",
      );
      expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'error', message: "Environment 'prod' was not found." });
    }
  });
});

describe.concurrent('configuration errors', () => {
  it('a missing project is a ConfigurationError before anything is spawned', async () => {
    await expect(runSqlmesh({ project: '/nonexistent/project', python: PYTHON })).rejects.toThrow(ConfigurationError);
    await expect(runSqlmesh({ project: '/nonexistent/project', python: PYTHON })).rejects.toThrow(
      /project directory not found: \/nonexistent\/project/,
    );
  });

  it('a python without sqlmesh is a ConfigurationError', async () => {
    // No up-front probe (it would cost every run a Python start-up): the failed start is explained.
    const missing = await collect(await runSqlmesh({ project: BASIC, python: '/nonexistent/python' }));
    expect(missing.error).toBeInstanceOf(ConfigurationError);
    expect(String(missing.error)).toMatch(/SQLMesh python not found: \/nonexistent\/python/);
    const bare = await execa('python3', ['-c', 'import sqlmesh'], { reject: false });
    if (bare.exitCode !== 0) {
      const without = await collect(await runSqlmesh({ project: BASIC, python: 'python3' }));
      expect(without.error).toBeInstanceOf(ConfigurationError);
      expect(String(without.error)).toMatch(/python3 has no sqlmesh module/);
    }
  });

  it('a bad gateway: result rejects with a ConfigurationError carrying SQLMesh context (exit 2)', async () => {
    const { events, error } = await run(planned, { gateway: 'nope' });
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(
      "gateway 'nope' is not in the project's config (gateways: local, other) — pass one of them as --gateway, or add it to the config",
    );
    expect(((error as Error).cause as { result: { exitCode: number; command: string } }).result).toMatchObject({
      exitCode: 2,
      command: expect.stringContaining('--gateway nope'),
    });
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'error', error_class: 'UsageError' });
  });

  it('the console exits 2 with one line for a missing project, a bad gateway or a bad flag', async () => {
    const shim = (args: string[]) =>
      execa(PYTHON, ['-m', 'sqlmesh_pipes_console', ...args], {
        env: sqlmeshEnv({ PYTHONPATH: SHIM_PYTHONPATH }),
        extendEnv: false,
        reject: false,
      });
    const missing = await shim(['run', '--project', '/nonexistent/project']);
    expect([missing.exitCode, missing.stderr]).toEqual([
      2,
      "sqlmesh-pipes run: SQLMesh project directory not found: /nonexistent/project — pass --project the SQLMesh project's folder",
    ]);
    const gateway = await shim(['run', '--project', planned, '--gateway', 'nope']);
    expect([gateway.exitCode, gateway.stderr]).toEqual([
      2,
      "sqlmesh-pipes run: gateway 'nope' is not in the project's config (gateways: local, other) — pass one of them as --gateway, or add it to the config",
    ]);
    const flag = await shim(['run', '--project', planned, '--concurrent-tasks', '0']);
    expect([flag.exitCode, flag.stderr]).toEqual([2, 'sqlmesh-pipes run: --concurrent-tasks must be at least 1, got 0']);
    const command = await shim(['nope']);
    expect(command.exitCode).toBe(2);
  });
});

function batch(model: string, [start, end]: [string, string], index: number, count: number, annotation: string, audits = 0) {
  return {
    type: 'batch_evaluated',
    model,
    node: 'model',
    interval: [`${start}T00:00:00Z`, `${end}T00:00:00Z`],
    batch_index: index,
    batch_count: count,
    audits_passed: audits,
    audits_failed: 0,
    annotation,
    execution_stats: { total_rows_processed: null, total_bytes_processed: null },
  };
}
