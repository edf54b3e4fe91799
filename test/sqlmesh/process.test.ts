import { describe, expect, it } from 'vitest';
import { ConfigurationError, UsageError } from '../../src/errors.js';
import { type RunSqlmeshOptions, runSqlmesh, SqlmeshRunError } from '../../src/sqlmesh/process.js';
import { collect } from './helpers/events.js';
import { fakeProcess, fakeSpawn } from './helpers/fake-process.js';
import { BASIC } from './helpers/projects.js';

// The runner against a fake process (PassThrough pipes): argv, env, stream merging, exit paths.
// The real SQLMesh runs in run.test.ts.

const checkPython = async () => '0.236.4';

async function start(options: Partial<RunSqlmeshOptions> = {}) {
  const child = fakeProcess();
  const spawn = fakeSpawn(child);
  const invocation = await runSqlmesh({ project: BASIC, python: '/py', ...options }, { spawn, checkPython });
  return { child, spawn, invocation };
}

const finished = (status: string) => ({ type: 'run_finished', status, message: null, error_class: null });

describe('runSqlmesh (fake process)', () => {
  it('spawns ONE JSON-console process with every option and a deterministic env', async () => {
    const { child, spawn, invocation } = await start({
      environment: 'dev',
      gateway: 'local',
      selectModels: ['a.b', 'c.d'],
      ignoreCron: true,
      executionTime: '2024-01-05',
      start: '2024-01-01',
      end: '2024-01-04',
      concurrentTasks: 3,
      env: { EXTRA: '1' },
    });
    child.finish({ exitCode: 0 });
    await collect(invocation);
    expect(spawn.commands).toHaveLength(1);
    const [command] = spawn.commands;
    expect(command?.file).toBe('/py');
    expect(command?.args).toEqual([
      '-m',
      'sqlmesh_pipes_console',
      'run',
      '--project',
      BASIC,
      '--environment',
      'dev',
      '--gateway',
      'local',
      '--select-model',
      'a.b',
      '--select-model',
      'c.d',
      '--ignore-cron',
      '--execution-time',
      '2024-01-05',
      '--start',
      '2024-01-01',
      '--end',
      '2024-01-04',
      '--concurrent-tasks',
      '3',
    ]);
    expect(command?.cwd).toBe(BASIC);
    expect(command?.env).toMatchObject({
      SQLMESH_PIPES_EVENTS_FD: '3',
      COLUMNS: '1000',
      NO_COLOR: '1',
      SQLMESH__DISABLE_ANONYMIZED_ANALYTICS: '1',
      PYTHONPATH: expect.stringMatching(/python_shim\/src/),
      EXTRA: '1',
    });
  });

  it('asks the JSON console to audit models in place: after the run, or alone when nothing is selected', async () => {
    for (const [selectModels, tail] of [
      [['a.b'], ['--select-model', 'a.b', '--audit-model', '"db"."c"."d"']],
      [[], ['--audit-model', '"db"."c"."d"', '--audit-only']],
    ] as const) {
      const { child, spawn, invocation } = await start({ selectModels, auditModels: ['"db"."c"."d"'] });
      child.finish({ exitCode: 0 });
      await collect(invocation);
      expect(spawn.commands[0]?.args.slice(3 + 2)).toEqual(tail);
    }
  });

  it('a restatement replaces the run: --restate-model, never --ignore-cron', async () => {
    const { child, spawn, invocation } = await start({ selectModels: ['a.b', 'c.d'], restateModels: ['a.b'], ignoreCron: true });
    child.finish({ exitCode: 0 });
    await collect(invocation);
    expect(spawn.commands[0]?.args.slice(5)).toEqual(['--select-model', 'a.b', '--select-model', 'c.d', '--restate-model', 'a.b']);
  });

  it('builds the unmodified CLI command for the text console', async () => {
    const { child, spawn, invocation } = await start({
      console: 'text',
      gateway: 'g',
      selectModels: ['a.b'],
      concurrentTasks: 2,
      end: '2024-01-02',
    });
    child.finish({ exitCode: 0 });
    await collect(invocation);
    const [command] = spawn.commands;
    expect(command?.args.slice(2)).toEqual([
      '--paths',
      BASIC,
      '--gateway',
      'g',
      'run',
      '--end',
      '2024-01-02',
      '--select-model',
      'a.b',
      '--no-auto-upstream',
    ]);
    expect(command?.env.SQLMESH__GATEWAYS__G__CONNECTION__CONCURRENT_TASKS).toBe('2');
  });

  it('merges channel events and stdout/stderr logs; garbled and unknown lines become logs; run_finished last', async () => {
    const { child, invocation } = await start();
    child.event({ type: 'run_started', environment: 'prod', sqlmesh_version: '0.236.4', execution_time: null, selected_models: null });
    child.events.write('{"type": "batch_started", "model": "a.b"}\n');
    child.event(finished('success'));
    child.events.write('not json at all\n');
    child.events.write('{"type": "from_the_future", "x": 1}\n');
    child.events.write('{"type": "batch_evaluated", "model": 3}\n');
    child.stdout.write('some library print\n\n');
    child.stderr.write('Traceback (most recent call last):\nValueError: boom\n');
    child.finish({ exitCode: 0 });
    const { events, result } = await collect(invocation);
    expect(events.at(-1)).toEqual(finished('success'));
    expect(events.filter((e) => e.type !== 'log').map((e) => e.type)).toEqual(['run_started', 'batch_started', 'run_finished']);
    const logs = events.filter((e) => e.type === 'log');
    expect(logs).toEqual(
      expect.arrayContaining([
        { type: 'log', level: 'WARNING', message: 'not json at all', source: 'console' },
        { type: 'log', level: 'INFO', message: '{"type": "from_the_future", "x": 1}', source: 'console' },
        { type: 'log', level: 'WARNING', message: '{"type": "batch_evaluated", "model": 3}', source: 'console' },
        { type: 'log', level: 'INFO', message: 'some library print', source: 'stdout' },
        { type: 'log', level: 'ERROR', message: 'Traceback (most recent call last):', source: 'stderr' },
        { type: 'log', level: 'ERROR', message: 'ValueError: boom', source: 'stderr' },
      ]),
    );
    expect(logs).toHaveLength(6);
    expect(result).toMatchObject({
      exitCode: 0,
      status: 'success',
      failed: false,
      errorLines: ['Traceback (most recent call last):', 'ValueError: boom'],
    });
  });

  it('exit 1 resolves with the failure (SQLMesh semantics)', async () => {
    const { child, invocation } = await start();
    child.event({ type: 'run_finished', status: 'failed', message: 'Run failed.', error_class: null });
    child.stderr.write('Error: Run failed.\n');
    child.finish({ exitCode: 1 });
    const { result } = await collect(invocation);
    expect(result).toMatchObject({ exitCode: 1, status: 'failed', failed: true, errorLines: ['Error: Run failed.'] });
  });

  it('exit 2 rejects with a ConfigurationError carrying the command and exit code', async () => {
    const { child, invocation } = await start({ gateway: 'nope' });
    child.event({ type: 'run_finished', status: 'error', message: "Missing gateway with name 'nope'.", error_class: 'UsageError' });
    child.finish({ exitCode: 2 });
    const { error } = await collect(invocation);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).not.toBeInstanceOf(UsageError); // the CLI's own kind: a library layer never throws it
    expect((error as Error).message).toBe("Missing gateway with name 'nope'.");
    const cause = (error as Error).cause as SqlmeshRunError;
    expect(cause).toBeInstanceOf(SqlmeshRunError);
    expect(cause.result).toMatchObject({ exitCode: 2, command: expect.stringContaining('--gateway nope') });
  });

  it('a crash rejects with a SqlmeshRunError and still ends the events with run_finished', async () => {
    const { child, invocation } = await start();
    child.stderr.write('Segmentation fault\n');
    child.finish({ exitCode: 139 });
    const { events, error } = await collect(invocation);
    expect(error).toBeInstanceOf(SqlmeshRunError);
    expect((error as SqlmeshRunError).shortMessage).toMatch(/^SQLMesh exited with code 139: \/py -m sqlmesh_pipes_console run/);
    expect(events.at(-1)).toEqual({ type: 'run_finished', status: 'error', message: 'exited with code 139', error_class: null });
  });

  it('killed by someone else: a SqlmeshRunError that says so once', async () => {
    const { child, invocation } = await start();
    child.finish({ signal: 'SIGKILL' });
    const { error } = await collect(invocation);
    expect(error).toBeInstanceOf(SqlmeshRunError);
    expect((error as Error).message.match(/SIGKILL/g)).toHaveLength(1);
  });

  it('a non-zero exit after run_finished success is never a success', async () => {
    const { child, invocation } = await start();
    child.event(finished('success'));
    child.finish({ exitCode: 1 });
    const { events, result } = await collect(invocation);
    expect(result).toMatchObject({ exitCode: 1, status: 'error', failed: true });
    expect(events.at(-1)).toEqual({
      type: 'run_finished',
      status: 'error',
      message: 'SQLMesh exited with code 1 after reporting success',
      error_class: null,
    });
  });

  it("SQLMesh's environment-not-found is a configuration error naming the fix, in both consoles", async () => {
    const json = await start({ environment: 'nope' });
    json.child.event({ type: 'run_finished', status: 'error', message: "Environment 'nope' was not found.", error_class: 'SQLMeshError' });
    json.child.finish({ exitCode: 1 });
    const text = await start({ environment: 'nope', console: 'text' });
    text.child.stdout.write("Error: Environment 'nope' was not found.\n");
    text.child.finish({ exitCode: 1 });
    for (const { error } of [await collect(json.invocation), await collect(text.invocation)]) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toBe(
        "SQLMesh environment 'nope' was not found — apply a plan to it first (sqlmesh plan nope), or pass the name of an existing environment (--environment)",
      );
    }
  });

  it('a pipe held open after SQLMesh exited (a background process): reading stops, the run ends, a warning says why', async () => {
    const child = fakeProcess();
    const invocation = await runSqlmesh({ project: BASIC, python: '/py' }, { spawn: fakeSpawn(child), checkPython, drainAfterExitMs: 50 });
    child.event(finished('success'));
    child.events.end();
    child.stderr.end();
    // stdout stays open, as if a background process still held it.
    child.exitOnly({ exitCode: 0 });
    const { events, result } = await collect(invocation);
    expect(result).toMatchObject({ exitCode: 0, status: 'success' });
    expect(events).toContainEqual({
      type: 'log',
      level: 'WARNING',
      source: 'console',
      message:
        'SQLMesh exited, but a process it started still holds its output open: stopped reading after 0.05s (that process was left running)',
    });
    expect(events.at(-1)).toEqual(finished('success'));
  });

  it('kill() stops the process and resolves as canceled', async () => {
    const { child, invocation } = await start();
    child.event({ type: 'batch_started', model: 'a.b' });
    expect(invocation.kill('SIGINT')).toBe(true);
    const { events, result } = await collect(invocation);
    expect(child.killedWith).toEqual(['SIGINT']);
    expect(result).toMatchObject({ status: 'canceled', isCanceled: true, signal: 'SIGINT' });
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'error', message: 'canceled' });
  });

  it('never stalls when nobody reads the events, and iterates only once', async () => {
    const { child, invocation } = await start();
    for (let i = 0; i < 5000; i++) child.event({ type: 'batch_started', model: `m${i}` });
    child.finish({ exitCode: 0 });
    const result = await invocation.result;
    expect(result.exitCode).toBe(0);
    let count = 0;
    for await (const _ of invocation.events) count++;
    expect(count).toBe(5001);
    expect(() => invocation.events[Symbol.asyncIterator]()).toThrow(/only once/);
  });

  it('applies backpressure to a slow reader without losing or reordering events', async () => {
    const { child, invocation } = await start();
    const models = Array.from({ length: 3000 }, (_, i) => `m${i}`);
    setImmediate(() => {
      for (const model of models) child.event({ type: 'batch_started', model });
      child.event(finished('success'));
      child.finish({ exitCode: 0 });
    });
    const seen: string[] = [];
    for await (const event of invocation.events) {
      if (event.type === 'batch_started') seen.push(event.model);
      if (seen.length % 500 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    expect(seen).toEqual(models);
  });

  it.each([
    [{ project: '/no/such/dir' }, /SQLMesh project directory not found: \/no\/such\/dir/],
    [{ concurrentTasks: 0 }, /concurrentTasks must be a positive integer, got 0 \(number\)/],
    [{ concurrentTasks: 1.5 }, /concurrentTasks must be a positive integer, got 1.5/],
    [{ console: 'xml' as 'json' }, /console must be 'json' or 'text', got "xml"/],
    [{ selectModels: [''] }, /selectModels must be an array of model names/],
    [{ environment: ' ' }, /environment must be a non-empty string/],
    [{ console: 'text' as const, executionTime: '2024-01-01' }, /executionTime needs the JSON console/],
    [{ console: 'text' as const, fetchRowCounts: true }, /fetchRowCounts needs the JSON console/],
    [{ console: 'text' as const, auditModels: ['"db"."a"."b"'] }, /auditModels needs the JSON console/],
    [{ console: 'text' as const, restateModels: ['a.b'] }, /restateModels needs the JSON console/],
    [{ auditModels: [3 as unknown as string] }, /auditModels must be an array of model names/],
    [{ console: 'text' as const, concurrentTasks: 2 }, /needs an explicit gateway/],
  ])('rejects bad options up front: %j', async (options, message) => {
    const spawn = fakeSpawn(fakeProcess());
    await expect(runSqlmesh({ project: BASIC, python: '/py', ...options }, { spawn, checkPython })).rejects.toThrow(ConfigurationError);
    await expect(runSqlmesh({ project: BASIC, python: '/py', ...options }, { spawn, checkPython })).rejects.toThrow(message);
    expect(spawn.commands).toHaveLength(0);
  });

  it('text console: parses stdout/stderr into events and emits run_started itself', async () => {
    const { child, invocation } = await start({ console: 'text', selectModels: ['demo.a'] });
    child.stdout.write('[1/1] demo.a   [full refresh]   0.10s\n');
    child.stdout.write('✔ Model batches executed\n');
    child.finish({ exitCode: 0 });
    const { events } = await collect(invocation);
    expect(events.filter((e) => e.type !== 'log').map((e) => e.type)).toEqual([
      'run_started',
      'batch_evaluated',
      'evaluation_finished',
      'run_finished',
    ]);
    expect(events[0]).toMatchObject({ sqlmesh_version: null, selected_models: ['demo.a'], environment: 'prod' });
  });
});
