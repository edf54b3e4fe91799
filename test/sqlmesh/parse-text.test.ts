import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SqlmeshEvent } from '../../src/contracts/console-events.js';
import { TextRunParser } from '../../src/sqlmesh/parse-text.js';
import { parseInterval, stripFqn } from '../../src/sqlmesh/text-grammar.js';
import { ALL_BATCHES, outline } from './helpers/events.js';

// Real outputs of the pinned SQLMesh (0.236.4), captured by test/fixtures/sqlmesh-text/capture.sh.
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'sqlmesh-text');
const VARIANTS = ['markdown', 'terminal', 'markdown-wrapped'] as const;

function fixture(name: string, variant: string) {
  const read = (ext: string) => readFileSync(join(FIXTURES, `${name}.${variant}.${ext}`), 'utf8');
  return { stdout: read('stdout'), stderr: read('stderr'), exit: Number(read('exit').trim()) };
}

/** Feed a captured run (stdout, then stderr, as the pipes would deliver them) through the parser. */
function parse(name: string, variant: string, parser = new TextRunParser()): SqlmeshEvent[] {
  const { stdout, stderr, exit } = fixture(name, variant);
  const events: SqlmeshEvent[] = [];
  for (const line of stdout.split('\n')) events.push(...parser.push(line, 'stdout'));
  for (const line of stderr.split('\n')) events.push(...parser.push(line, 'stderr'));
  events.push(...parser.end(exit));
  return events;
}

function parseLines(lines: string[], exit: number | null = 0, parser = new TextRunParser()): SqlmeshEvent[] {
  return [...lines.flatMap((line) => parser.push(line)), ...parser.end(exit)];
}

/** The typed events (live log lines set aside). */
const typed = (events: SqlmeshEvent[]) => events.filter((event) => event.type !== 'log');

const WITHOUT_AMOUNTS = ALL_BATCHES.filter((l) => !l.includes('demo.amounts'));

describe.each(VARIANTS)('captured `sqlmesh run` output (%s console)', (variant) => {
  it('all due', () => {
    const events = parse('all-due', variant);
    expect(outline(events)).toEqual([...ALL_BATCHES, 'evaluation_finished true', 'run_finished success']);
    expect(events.find((e) => e.type === 'batch_evaluated' && e.model === 'demo.events' && e.batch_index === 1)).toMatchObject({
      interval: ['2024-01-04T00:00:00Z', '2024-01-05T00:00:00Z'],
      batch_count: 4,
      annotation: 'insert 2024-01-04 - 2024-01-04',
      audits_passed: 0,
      execution_stats: null,
    });
    expect(events.find((e) => e.type === 'batch_evaluated' && e.model === 'demo.amounts')).toMatchObject({
      interval: null,
      annotation: 'full refresh',
      audits_passed: 2,
      audits_failed: 0,
      duration_ms: expect.any(Number),
    });
    expect(events.find((e) => e.type === 'batch_evaluated' && e.model === 'demo.events_daily')).toMatchObject({
      interval: ['2024-01-03T00:00:00Z', '2024-01-07T00:00:00Z'],
    });
    expect(events).toContainEqual({ type: 'log', level: 'INFO', message: "Run finished for environment 'prod'", source: 'stdout' });
  });

  it('nothing due', () => {
    const events = parse('nothing-due', variant);
    expect(outline(events)).toEqual(['nothing_to_do', 'run_finished nothing_to_do']);
    expect(events[0]).toEqual({
      type: 'nothing_to_do',
      message: expect.stringMatching(
        /^No models are ready to run\. Please wait until a model `cron` interval has elapsed\.\n\nNext run will be ready at \d{4}-\d\d-\d\d \d\d:\d\d[AP]M UTC\.$/,
      ),
      next_ready_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT00:00:00Z$/),
    });
  });

  it('SQL error: failed model with its class and message, downstream skipped, independent models evaluated', () => {
    const events = parse('sql-error', variant);
    expect(outline(events)).toEqual([
      ...WITHOUT_AMOUNTS,
      'evaluation_finished false',
      'models_skipped demo.amounts_summary',
      'model_failed demo.amounts ConversionException',
      'run_finished failed',
    ]);
    const failure = events.find((e) => e.type === 'model_failed');
    expect(failure).toMatchObject({ interval: null, batch_index: null, audit_failures: [] });
    const message = failure?.type === 'model_failed' ? failure.message : '';
    expect(message.split('\n')[0]).toMatch(
      /^Conversion Error: Could not convert string 'abc' to INT32 when casting ?from source column amount$/,
    );
    expect(message).toContain('LINE 1: ... INT) AS "amount"');
    expect(events.at(-1)).toEqual({ type: 'run_finished', status: 'failed', message: 'Run failed.', error_class: null });
  });

  it('blocking audit: the audit name, args, failing rows and query', () => {
    const events = parse('blocking-audit', variant);
    expect(outline(events)).toEqual([
      ...WITHOUT_AMOUNTS,
      'evaluation_finished false',
      'models_skipped demo.amounts_summary',
      'model_failed demo.amounts NodeAuditsErrors',
      'run_finished failed',
    ]);
    expect(events.find((e) => e.type === 'model_failed')).toMatchObject({
      message: 'Audits failed: not_null',
      audit_failures: [
        {
          audit: 'not_null',
          args: { columns: '(id)' },
          failed_rows: 1,
          query: expect.stringMatching(
            /^SELECT \* FROM "db"\."sqlmesh__demo"\."demo__amounts__\d+" AS "demo__amounts__\d+" WHERE "id" IS NULL AND TRUE$/,
          ),
        },
      ],
    });
  });

  it('non-blocking audit: a warning before its batch, and the run succeeds', () => {
    const events = typed(parse('nonblocking-audit', variant));
    expect(outline(events)).toEqual(['audit_warning demo.amounts', ...ALL_BATCHES, 'evaluation_finished true', 'run_finished success']);
    expect(events[0]).toEqual({
      type: 'audit_warning',
      model: 'demo.amounts',
      failure: { audit: 'accepted_range', args: null, failed_rows: 2, query: null },
      message: "demo.amounts: 'accepted_range' audit error: 2 rows failed.",
    });
    expect(events[1]).toMatchObject({ type: 'batch_evaluated', audits_passed: 1, audits_failed: 1, annotation: 'full refresh' });
  });

  it('selection', () => {
    expect(outline(parse('selection', variant))).toEqual([
      'batch_evaluated demo.events_daily 1/1',
      'evaluation_finished true',
      'run_finished success',
    ]);
  });
});

describe.each(['markdown', 'terminal'])('SQLMesh errors (%s console)', (variant) => {
  it("`Error: ...` on stdout becomes run_finished error with SQLMesh's message", () => {
    const parser = new TextRunParser();
    const events = parse('no-plan', variant, parser);
    expect(events.at(-1)).toEqual({
      type: 'run_finished',
      status: 'error',
      message: "Environment 'prod' was not found.",
      error_class: null,
    });
    expect(parser.errors).toEqual(["Environment 'prod' was not found."]);
    expect(events).toContainEqual({ type: 'log', level: 'ERROR', message: "Error: Environment 'prod' was not found.", source: 'stdout' });
  });
});

describe('TextRunParser edge cases', () => {
  it('maps quoted FQNs through the given map, else strips quotes and catalog', () => {
    const parser = new TextRunParser({ fqnToName: { '"db"."demo"."amounts"': 'demo.amounts_custom' } });
    const events = parse('sql-error', 'markdown', parser);
    expect(outline(events)).toContain('model_failed demo.amounts_custom ConversionException');
    expect(outline(events)).toContain('models_skipped demo.amounts_summary');
    expect(stripFqn('"db"."demo"."orders"')).toBe('demo.orders');
    expect(stripFqn('"demo"."orders"')).toBe('demo.orders');
    expect(stripFqn('"db"."we.ird"."x""y"')).toBe('"we.ird"."x""y"');
    expect(stripFqn('orders')).toBe('orders');
  });

  it('joins a batch line wrapped anywhere, including inside the annotation', () => {
    const events = typed(parseLines(['[ 3/24] demo.hourly   [insert 2024-01-01 02:00:00-02:59:59, audits', 'passed 2 failed 1]', '1.25s']));
    expect(events[0]).toEqual({
      type: 'batch_evaluated',
      model: 'demo.hourly',
      node: 'model',
      interval: ['2024-01-01T02:00:00Z', '2024-01-01T03:00:00Z'],
      batch_index: 2,
      batch_count: 24,
      duration_ms: 1250,
      audits_passed: 2,
      audits_failed: 1,
      annotation: 'insert 2024-01-01 02:00:00-02:59:59',
      execution_stats: null,
    });
  });

  it('a batch line whose duration never comes is still a success (duration 0)', () => {
    const events = typed(parseLines(['[1/1] demo.a   [full refresh]', "Run finished for environment 'prod'"]));
    expect(events[0]).toMatchObject({ type: 'batch_evaluated', model: 'demo.a', duration_ms: 0 });
  });

  it('reads execution stats off the annotation', () => {
    const [event] = typed(parseLines(['[1/1] sushi.orders   [insert/update rows (1.2k rows, 3.5 KiB), audits ✔1]   0.50s']));
    expect(event).toMatchObject({
      annotation: 'insert/update rows',
      execution_stats: { total_rows_processed: 1200, total_bytes_processed: 3584 },
      audits_passed: 1,
    });
  });

  it('turns unknown and garbled lines into logs and never throws', () => {
    const garbage = [
      '',
      '\u0000\u0001garbage',
      '[[[[',
      '[1/x] nope',
      '* `unterminated',
      '```',
      'Traceback (most recent call last):',
      'KeyError: 1',
      '✔',
      ' '.repeat(500),
    ];
    const events = parseLines(garbage, 1);
    expect(events.every((e) => e.type === 'log' || e.type === 'run_finished')).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'run_finished', status: 'error', message: 'KeyError: 1', error_class: null });
  });

  it('non-audit warnings are WARNING logs', () => {
    const events = parseLines(["[WARNING] Environment 'prod' is being updated by plan 'abc'. Retrying in 30 seconds..."]);
    expect(events[0]).toEqual({
      type: 'log',
      level: 'WARNING',
      message: "Environment 'prod' is being updated by plan 'abc'. Retrying in 30 seconds...",
      source: 'stdout',
    });
  });

  it('a crash (no SQLMesh verdict, odd exit code) is an error', () => {
    expect(parseLines([], 137).at(-1)).toMatchObject({ status: 'error', message: 'exit code 137' });
    expect(parseLines([], null).at(-1)).toMatchObject({ status: 'error', message: 'terminated' });
  });

  it('parses every interval format of the text console', () => {
    expect(parseInterval('insert 2024-01-01 - 2024-01-31')).toEqual(['2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z']);
    expect(parseInterval('insert 2024-01-01 23:00:00-23:59:59')).toEqual(['2024-01-01T23:00:00Z', '2024-01-02T00:00:00Z']);
    expect(parseInterval('insert 2024-01-01 00:00:00 - 2024-01-02 11:59:59')).toEqual(['2024-01-01T00:00:00Z', '2024-01-02T12:00:00Z']);
    expect(parseInterval('full refresh')).toBeNull();
    expect(parseInterval('recreate view')).toBeNull();
  });
});

describe('telling SQLMesh batch lines from look-alikes (real outputs: a Python model prints `[1/1] sec.victim2 [full refresh] 0.01s`)', () => {
  // test/fixtures/sqlmesh-text/spoof-*: a project with "my schema"."my model" (FULL, fails on a
  // flag), "my schema"."my down" (its child) and sec.victim (a Python model that prints the line).
  const fqnToName = new Map([
    ['"db"."my schema"."my model"', '"my schema"."my model"'],
    ['"db"."my schema"."my down"', '"my schema"."my down"'],
    ['"db"."sec"."victim"', 'sec.victim'],
  ]);
  const knownNodes = new Set(fqnToName.values());

  it('quoted names with spaces are parsed and mapped to the manifest; the unknown look-alike is dropped, with the reason', () => {
    const events = parse('spoof-quoted', 'markdown', new TextRunParser({ fqnToName, knownNodes }));
    expect(outline(events)).toEqual([
      'batch_evaluated "my schema"."my model" 1/1',
      'batch_evaluated sec.victim 1/1',
      'batch_evaluated "my schema"."my down" 1/1',
      'evaluation_finished true',
      'batches_unverified',
      'run_finished success',
    ]);
    expect(events.find((e) => e.type === 'batches_unverified')).toEqual({
      type: 'batches_unverified',
      models: { 'sec.victim2': 'no model of the project has this name' },
    });
  });

  it('a look-alike for a model SQLMesh skipped is never a success', () => {
    const withVictim2 = new Map([...fqnToName, ['"db"."sec"."victim2"', 'sec.victim2']]);
    const parser = new TextRunParser({ fqnToName: withVictim2, knownNodes: new Set(withVictim2.values()) });
    const { stdout, stderr } = fixture('spoof-failed', 'markdown');
    // As in the issue: SQLMesh skipped sec.victim2 (its upstream failed), yet a line claims it ran.
    const skippedToo = stdout.replace('* `"db"."my schema"."my down"`', '* `"db"."my schema"."my down"`\n* `"db"."sec"."victim2"`');
    const events: SqlmeshEvent[] = [];
    for (const line of skippedToo.split('\n')) events.push(...parser.push(line, 'stdout'));
    for (const line of stderr.split('\n')) events.push(...parser.push(line, 'stderr'));
    events.push(...parser.end(1));
    const batches = events.filter((e) => e.type === 'batch_evaluated').map((e) => e.type === 'batch_evaluated' && e.model);
    expect(batches).toEqual(['sec.victim']);
    expect(events).toContainEqual(expect.objectContaining({ type: 'models_skipped', models: ['"my schema"."my down"', 'sec.victim2'] }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'model_failed', model: '"my schema"."my model"' }));
    expect(events.find((e) => e.type === 'batches_unverified')).toMatchObject({
      models: { 'sec.victim2': 'SQLMesh lists it among the skipped models' },
    });
  });

  it('more batch lines than SQLMesh executed, none attributable: nothing is recorded, and it says why', () => {
    // Without a manifest the look-alike cannot be told apart: 2 lines, 1 successful batch (2/3 done, 1 failed).
    const events = parse('spoof-failed', 'markdown');
    expect(events.filter((e) => e.type === 'batch_evaluated')).toEqual([]);
    const why = 'the output has 2 batch lines, but SQLMesh executed 1 batch(es) successfully: its lines cannot be told apart';
    expect(events.find((e) => e.type === 'batches_unverified')).toEqual({
      type: 'batches_unverified',
      models: { 'sec.victim': why, 'sec.victim2': why },
    });
  });

  it('a failed FULL model with a batch line of its own is not a success (SQLMesh prints none for a failed batch)', () => {
    const events = parseLines(
      ['[1/1] demo.a   [full refresh]   0.10s', '**Failed models**', '* `"db"."demo"."a"`', '', '  ```', '    boom', '  ```'],
      1,
    );
    expect(outline(events)).toEqual(['evaluation_finished false', 'model_failed demo.a ', 'batches_unverified', 'run_finished failed']);
  });
});
