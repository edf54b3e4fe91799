import { describe, expect, it } from 'vitest';
import type { EventOf, SqlmeshEvent } from '../../src/contracts/console-events.js';
import type { ManifestModel } from '../../src/contracts/manifest.js';
import type { SelectedCheck } from '../../src/contracts/run-extras.js';
import type { MetadataMap } from '../../src/report/metadata.js';
import { Reporter, type ReportSink } from '../../src/report/reporter.js';
import type { CheckIntent } from '../../src/report/result-metadata.js';
import { indexManifest } from '../../src/sqlmesh/manifest.js';
import { batch, failed } from '../helpers/events.js';
import { manifestExternal, manifestModel, manifestOf } from '../helpers/manifest.js';

type Sent =
  | { kind: 'log'; message: string; level: string }
  | { kind: 'materialize'; assetKey: string; metadata: MetadataMap }
  | { kind: 'check'; assetKey: string; checkName: string; result: CheckIntent }
  | { kind: 'custom'; payload: unknown };

function recordingSink(): ReportSink & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    log: (level, message) => sent.push({ kind: 'log', message, level }),
    materialize: (assetKey, metadata) => sent.push({ kind: 'materialize', assetKey, metadata }),
    check: (assetKey, checkName, result) => sent.push({ kind: 'check', assetKey, checkName, result }),
    custom: (payload) => sent.push({ kind: 'custom', payload }),
  };
}

const audit = (name: string, blocking = true, args: Record<string, string> = {}) => ({ name, args, blocking });

function setup(models: ManifestModel[], options: { checks?: boolean; only?: string[] } = {}) {
  const sink = recordingSink();
  const inScope = models.filter((m) => !options.only || options.only.includes(m.name));
  const checks: SelectedCheck[] =
    options.checks === false
      ? []
      : inScope.flatMap((m) =>
          m.audits.map((a, i) => ({
            asset_key: m.name.replace('.', '/'),
            check_name: i === 0 ? a.name : `${a.name}_${i}`,
            model: m.name,
            audit: a.name,
            audit_index: i,
          })),
        );
  const reporter = new Reporter(sink, {
    assetKeys: new Map(inScope.map((m) => [m.name, m.name.replace('.', '/')])),
    checks,
    models: new Map(models.map((m) => [m.name, m])),
    nodes: indexManifest(manifestOf(models)).nodes,
  });
  const run = (...events: SqlmeshEvent[]) => {
    for (const event of events) reporter.handle(event);
    return reporter.finish(1234);
  };
  return { sink, reporter, run };
}

/** A batch that failed on the blocking not_null audit (audit index 0). */
const notNullFailed = (model: string, overrides: Partial<EventOf<'model_failed'>> = {}) =>
  failed(model, {
    batch_index: 0,
    error_class: 'NodeAuditsErrors',
    message: 'Audits failed: not_null',
    audit_failures: [{ audit: 'not_null', audit_index: 0, args: {}, failed_rows: 1, query: null }],
    ...overrides,
  });

/** Each check result sent, as [check name, passed, severity]. */
const checkLines = (sent: Sent[]) => sent.flatMap((s) => (s.kind === 'check' ? [[s.checkName, s.result.passed, s.result.severity]] : []));

const kinds = (sent: Sent[]) =>
  sent
    .filter((s) => s.kind !== 'log')
    .map((s) => (s.kind === 'custom' ? 'custom' : `${s.kind}:${'checkName' in s ? `${s.assetKey}#${s.checkName}` : s.assetKey}`));

describe('Reporter', () => {
  it('dagster/row_count: the counted rows; else rows processed only when the whole table was rewritten', () => {
    const stats = { total_rows_processed: 7, total_bytes_processed: null };
    const models = [
      manifestModel('shop.full'),
      manifestModel('shop.incr', { kind: 'INCREMENTAL_BY_TIME_RANGE' }),
      manifestModel('shop.counted', { kind: 'INCREMENTAL_BY_TIME_RANGE' }),
    ];
    const { sink, run } = setup(models, { checks: false });
    run(
      { type: 'evaluation_started', batches: { 'shop.full': 1, 'shop.incr': 1, 'shop.counted': 2 } },
      batch('shop.full', { execution_stats: stats }),
      batch('shop.incr', { execution_stats: stats }),
      batch('shop.counted', { batch_count: 2 }),
      batch('shop.counted', { batch_index: 1, batch_count: 2, execution_stats: stats, row_count: 42 }),
    );
    const metadataOf = (key: string) => {
      const sent = sink.sent.find((s) => s.kind === 'materialize' && s.assetKey === key);
      return sent?.kind === 'materialize' ? sent.metadata : {};
    };
    expect(metadataOf('shop/full')).toMatchObject({ 'dagster/row_count': { raw_value: 7 }, 'sqlmesh/rows_processed': { raw_value: 7 } });
    // An increment's rows processed are not the table's rows.
    expect(metadataOf('shop/incr')['dagster/row_count']).toBeUndefined();
    expect(metadataOf('shop/incr')).toMatchObject({ 'sqlmesh/rows_processed': { raw_value: 7 } });
    expect(metadataOf('shop/counted')).toMatchObject({ 'dagster/row_count': { raw_value: 42, type: 'int' } });
  });

  it('an interrupted run: what finished is materialized, the rest is not_run (not "not due")', () => {
    const { sink, reporter } = setup([manifestModel('shop.a'), manifestModel('shop.b')]);
    reporter.handle({ type: 'evaluation_started', batches: { 'shop.a': 1, 'shop.b': 1 } });
    reporter.handle(batch('shop.a'));
    const { summary } = reporter.finish(10, 'interrupted by SIGINT: SQLMesh was stopped');
    expect(kinds(sink.sent)).toEqual(['materialize:shop/a', 'custom']);
    expect(summary.models.map((m) => [m.model, m.outcome, m.reason])).toEqual([
      ['shop.a', 'materialized', null],
      ['shop.b', 'not_run', 'not evaluated: interrupted by SIGINT: SQLMesh was stopped'],
    ]);
    expect(summary).toMatchObject({ status: 'failed', exit_code: 1, error: 'interrupted by SIGINT: SQLMesh was stopped' });
  });

  it('materializes every evaluated model with its metadata and passed checks', () => {
    const orders = manifestModel('shop.orders', {
      kind: 'INCREMENTAL_BY_TIME_RANGE',
      audits: [audit('not_null', true, { columns: '[id]' })],
    });
    const { sink, run } = setup([orders, manifestModel('shop.customers')]);
    const { summary } = run(
      { type: 'evaluation_started', batches: { 'shop.orders': 2, 'shop.customers': 1 } },
      batch('shop.orders', {
        batch_index: 0,
        batch_count: 2,
        audits_passed: 1,
        interval: ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'],
      }),
      batch('shop.customers', { interval: null, annotation: 'full refresh', duration_ms: 250 }),
      batch('shop.orders', {
        batch_index: 1,
        batch_count: 2,
        audits_passed: 1,
        interval: ['2024-01-02T00:00:00Z', '2024-01-03T00:00:00Z'],
        execution_stats: { total_rows_processed: 10, total_bytes_processed: null },
      }),
      { type: 'evaluation_finished', success: true },
      { type: 'run_finished', status: 'success', message: null, error_class: null },
    );
    expect(kinds(sink.sent)).toEqual(['materialize:shop/customers', 'materialize:shop/orders', 'check:shop/orders#not_null', 'custom']);
    const orderMat = sink.sent.find((s) => s.kind === 'materialize' && s.assetKey === 'shop/orders');
    expect(orderMat).toMatchObject({
      metadata: {
        'sqlmesh/batches': { raw_value: '2 committed', type: 'text' },
        'sqlmesh/duration_s': { raw_value: 3, type: 'float' },
        'sqlmesh/intervals': {
          raw_value: [
            ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'],
            ['2024-01-02T00:00:00Z', '2024-01-03T00:00:00Z'],
          ],
          type: 'json',
        },
        'sqlmesh/interval_start': { raw_value: '2024-01-01T00:00:00Z' },
        'sqlmesh/interval_end': { raw_value: '2024-01-03T00:00:00Z' },
        'dagster/table_name': { raw_value: 'db.shop.orders' },
        'sqlmesh/rows_processed': { raw_value: 10, type: 'int' },
      },
    });
    expect(sink.sent.find((s) => s.kind === 'check')).toMatchObject({ result: { passed: true, severity: 'ERROR' } });
    expect(summary).toMatchObject({ exit_code: 0, status: 'success', error: null, duration_ms: 1234 });
    expect(summary.models.map((m) => [m.model, m.outcome])).toEqual([
      ['shop.orders', 'materialized'],
      ['shop.customers', 'materialized'],
    ]);
  });

  it('reports successes before the failure; failed and skipped models are not materialized', () => {
    const models = ['shop.a', 'shop.b', 'shop.c'].map((n) => manifestModel(n));
    const { sink, run } = setup(models);
    const { summary } = run(
      { type: 'evaluation_started', batches: { 'shop.a': 1, 'shop.b': 1, 'shop.c': 1 } },
      batch('shop.a'),
      { type: 'evaluation_finished', success: false },
      { type: 'models_skipped', models: ['shop.c'] },
      failed('shop.b'),
      { type: 'run_finished', status: 'failed', message: null, error_class: null },
    );
    expect(kinds(sink.sent)).toEqual(['materialize:shop/a', 'custom']);
    expect(summary).toMatchObject({ exit_code: 1, status: 'failed', error: 'shop.b: ParserException: syntax error at or near "SELEC"' });
    expect(summary.models.map((m) => [m.model, m.outcome])).toEqual([
      ['shop.a', 'materialized'],
      ['shop.b', 'failed'],
      ['shop.c', 'skipped'],
    ]);
    const logs = sink.sent.filter((s) => s.kind === 'log').map((s) => s.kind === 'log' && `${s.level} ${s.message}`);
    expect(logs).toContain('WARNING skipped because an upstream model failed: shop.c');
    expect(logs).toContain('INFO shop.c: not materialized — skipped by SQLMesh because an upstream model failed');
    expect(logs.at(-1)).toBe('ERROR SQLMesh run failed for 1 node(s):\nshop.b: ParserException: syntax error at or near "SELEC"');
  });

  it('a model whose later batch failed is materialized with the committed intervals, partial, and fails the run', () => {
    const { sink, run } = setup([manifestModel('shop.events')]);
    const day = (d: number): [string, string] => [`2024-01-0${d}T00:00:00Z`, `2024-01-0${d + 1}T00:00:00Z`];
    const { summary } = run(
      { type: 'evaluation_started', batches: { 'shop.events': 3 } },
      batch('shop.events', { batch_index: 0, batch_count: 3, interval: day(1) }),
      batch('shop.events', { batch_index: 2, batch_count: 3, interval: day(3) }),
      failed('shop.events', { batch_index: 1, interval: day(2) }),
      { type: 'run_finished', status: 'failed', message: null, error_class: null },
    );
    expect(kinds(sink.sent)).toEqual(['materialize:shop/events', 'custom']);
    const materialization = sink.sent.find((s) => s.kind === 'materialize');
    expect(materialization).toMatchObject({
      metadata: {
        'sqlmesh/partial': { raw_value: true, type: 'bool' },
        'sqlmesh/batches': { raw_value: '2 committed, 1 failed' },
        'sqlmesh/intervals': { raw_value: [day(1), day(3)] },
        'sqlmesh/failed_intervals': { raw_value: [day(2)] },
      },
    });
    expect(summary.models[0]).toMatchObject({ outcome: 'partial', error_class: 'ParserException' });
    expect(summary.models[0]?.reason).toBe(
      '2 batch(es) committed; batch 2 [2024-01-02T00:00:00Z, 2024-01-03T00:00:00Z) failed: ParserException: syntax error at or near "SELEC"',
    );
    expect(summary).toMatchObject({ status: 'failed', exit_code: 1 });
    const logs = sink.sent.flatMap((s) => (s.kind === 'log' ? [`${s.level} ${s.message}`] : []));
    expect(logs).toContain(
      'ERROR shop.events failed (batch 2 [2024-01-02T00:00:00Z, 2024-01-03T00:00:00Z)): ParserException: syntax error at or near "SELEC"',
    );
    expect(logs).toContain(`ERROR shop.events: partially materialized — ${summary.models[0]?.reason}`);
  });

  it('a model whose only batch failed is failed, not materialized', () => {
    const { sink, run } = setup([manifestModel('shop.events')]);
    const { summary } = run({ type: 'evaluation_started', batches: { 'shop.events': 1 } }, failed('shop.events', { batch_index: 0 }));
    expect(kinds(sink.sent)).toEqual(['custom']);
    expect(summary.models[0]).toMatchObject({ outcome: 'failed', error_class: 'ParserException' });
  });

  it('batches skipped after a failed batch (batch_concurrency): partial with the committed ones', () => {
    const { sink, run } = setup([manifestModel('shop.events')]);
    const { summary } = run(
      { type: 'evaluation_started', batches: { 'shop.events': 4 } },
      batch('shop.events', { batch_index: 0, batch_count: 4 }),
      { type: 'models_skipped', models: ['shop.events'] },
      failed('shop.events', { batch_index: 1 }),
    );
    expect(kinds(sink.sent)).toEqual(['materialize:shop/events', 'custom']);
    expect(summary.models[0]?.outcome).toBe('partial');
  });

  it('per-batch audits: a blocking audit failing in a later failed batch is ERROR, counts are per batch', () => {
    // batch_size 1 over three days, forall and accepted_range both blocking: day 2 fails forall,
    // day 3 fails accepted_range (SQLMesh 0.236: one error per failed batch, with its index).
    const model = manifestModel('shop.daily', {
      audits: [audit('forall', true, { criteria: '[v <> 13]' }), audit('accepted_range', true, { column: 'v' })],
    });
    const { sink, run } = setup([model]);
    const auditFailure = (name: string, index: number) => ({ audit: name, audit_index: index, args: {}, failed_rows: 1, query: null });
    run(
      { type: 'evaluation_started', batches: { 'shop.daily': 3 } },
      batch('shop.daily', { batch_index: 0, batch_count: 3, audits_passed: 2 }),
      failed('shop.daily', {
        batch_index: 1,
        error_class: 'NodeAuditsErrors',
        message: 'Audits failed: forall',
        audit_failures: [auditFailure('forall', 0)],
      }),
      failed('shop.daily', {
        batch_index: 2,
        error_class: 'NodeAuditsErrors',
        message: 'Audits failed: accepted_range',
        audit_failures: [auditFailure('accepted_range', 1)],
      }),
    );
    const checks = sink.sent.flatMap((s) => (s.kind === 'check' ? [s] : []));
    expect(checks.map((c) => [c.checkName, c.result.passed, c.result.severity])).toEqual([
      ['forall', false, 'ERROR'],
      ['accepted_range_1', false, 'ERROR'],
    ]);
    for (const check of checks) {
      expect(check.result.metadata).toMatchObject({
        'sqlmesh/batches_audited': { raw_value: '3 audited, 1 failed', type: 'text' },
        'sqlmesh/blocking': { raw_value: true },
      });
    }
    const logs = sink.sent.flatMap((s) => (s.kind === 'log' ? [s.message] : []));
    expect(logs.some((line) => line.includes('non-blocking'))).toBe(false);
  });

  it('non-blocking audit failure: materialized, check failed with WARN', () => {
    const model = manifestModel('shop.orders', { audits: [audit('not_null'), audit('positive_non_blocking', false)] });
    const { sink, run } = setup([model]);
    run(
      { type: 'evaluation_started', batches: { 'shop.orders': 1 } },
      {
        type: 'audit_warning',
        model: 'shop.orders',
        message: 'audit error',
        failure: { audit: 'positive_non_blocking', args: {}, failed_rows: 3, query: 'SELECT * FROM t WHERE x <= 0' },
      },
      batch('shop.orders', { audits_passed: 1, audits_failed: 1 }),
    );
    const checks = sink.sent.filter((s) => s.kind === 'check');
    expect(checks.map((c) => c.kind === 'check' && [c.checkName, c.result.passed, c.result.severity])).toEqual([
      ['not_null', true, 'ERROR'],
      ['positive_non_blocking_1', false, 'WARN'],
    ]);
    expect(checks[1]).toMatchObject({
      result: { metadata: { 'sqlmesh/failing_rows': { raw_value: 3 }, 'sqlmesh/audit_query': { type: 'md' } } },
    });
    expect(kinds(sink.sent)[0]).toBe('materialize:shop/orders');
  });

  it('blocking audit failure: model failed, its checks reported (failed ERROR, others passed)', () => {
    const model = manifestModel('shop.orders', { audits: [audit('not_null'), audit('unique_values')] });
    const { sink, run } = setup([model]);
    const { summary } = run(
      { type: 'evaluation_started', batches: { 'shop.orders': 1 } },
      failed('shop.orders', {
        error_class: 'NodeAuditsErrors',
        message: "'unique_values' audit error: 2 rows failed.",
        audit_failures: [{ audit: 'unique_values', args: { columns: '[id]' }, failed_rows: 2, query: 'SELECT 1' }],
      }),
    );
    expect(kinds(sink.sent)).toEqual(['check:shop/orders#not_null', 'check:shop/orders#unique_values_1', 'custom']);
    const results = sink.sent.flatMap((s) => (s.kind === 'check' ? [[s.result.passed, s.result.severity]] : []));
    expect(results).toEqual([
      [true, 'ERROR'],
      [false, 'ERROR'],
    ]);
    expect(summary.status).toBe('failed');
  });

  it('one audit used twice is told apart by its arguments', () => {
    const model = manifestModel('shop.orders', {
      audits: [audit('not_null', false, { columns: '[id]' }), audit('not_null', false, { columns: '[customer_id]' })],
    });
    const { sink, run } = setup([model]);
    run(
      {
        type: 'audit_warning',
        model: 'shop.orders',
        message: '',
        failure: { audit: 'not_null', args: { columns: '[customer_id]' }, failed_rows: 1, query: null },
      },
      batch('shop.orders', { audits_passed: 1, audits_failed: 1 }),
    );
    expect(sink.sent.flatMap((s) => (s.kind === 'check' ? [[s.checkName, s.result.passed]] : []))).toEqual([
      ['not_null', true],
      ['not_null_1', false],
    ]);
  });

  it('reports no check for audits SQLMesh did not evaluate', () => {
    const { sink, run } = setup([manifestModel('shop.orders', { audits: [audit('not_null')] })]);
    run(batch('shop.orders', { audits_passed: 0, audits_failed: 0 }), failed('shop.x'));
    expect(sink.sent.filter((s) => s.kind === 'check')).toEqual([]);
  });

  it('nothing due: nothing materialized, every model explained', () => {
    const { sink, run } = setup([manifestModel('shop.a'), manifestModel('shop.b')]);
    const { summary } = run(
      { type: 'nothing_to_do', message: 'No models are ready to run.', next_ready_at: '2024-01-03 00:00:00' },
      { type: 'run_finished', status: 'nothing_to_do', message: null, error_class: null },
    );
    expect(kinds(sink.sent)).toEqual(['custom']);
    expect(summary).toMatchObject({ status: 'nothing_to_do', exit_code: 0 });
    expect(summary.models.map((m) => m.reason)).toEqual([
      'no interval was due in this run (SQLMesh: next run ready at 2024-01-03 00:00:00)',
      'no interval was due in this run (SQLMesh: next run ready at 2024-01-03 00:00:00)',
    ]);
  });

  it('some due, some not: only the evaluated ones are materialized', () => {
    const { sink, run } = setup([manifestModel('shop.hourly'), manifestModel('shop.daily')]);
    const { summary } = run({ type: 'evaluation_started', batches: { 'shop.hourly': 1 } }, batch('shop.hourly'));
    expect(kinds(sink.sent)).toEqual(['materialize:shop/hourly', 'custom']);
    expect(summary.models[1]).toMatchObject({
      model: 'shop.daily',
      outcome: 'not_due',
      reason: 'no interval was due in this run (cron not elapsed or already up to date)',
    });
  });

  it('never reports a model outside the scope', () => {
    const models = [manifestModel('shop.a'), manifestModel('shop.b', { audits: [audit('not_null')] })];
    const { sink, run } = setup(models, { only: ['shop.a'] });
    const { summary } = run(batch('shop.a'), batch('shop.b', { audits_passed: 1 }));
    expect(kinds(sink.sent)).toEqual(['materialize:shop/a', 'custom']);
    expect(summary.models.map((m) => m.model)).toEqual(['shop.a']);
  });

  it('a run-level SQLMesh error fails the run with its text', () => {
    const { run, sink } = setup([manifestModel('shop.a')]);
    const { summary } = run({
      type: 'run_finished',
      status: 'error',
      message: "Environment 'prod' was not found.",
      error_class: 'SQLMeshError',
    });
    expect(summary).toMatchObject({ status: 'failed', exit_code: 1, error: "Environment 'prod' was not found." });
    expect(summary.models).toEqual([
      {
        model: 'shop.a',
        asset_key: 'shop/a',
        outcome: 'not_run',
        reason: "not evaluated: Environment 'prod' was not found.",
        error_class: null,
      },
    ]);
    expect(sink.sent.filter((s) => s.kind === 'log').at(-1)).toMatchObject({
      level: 'ERROR',
      message: "SQLMesh run failed: Environment 'prod' was not found.",
    });
  });
});

describe('Reporter: audit severity follows what SQLMesh did', () => {
  it('an audit the manifest calls blocking that SQLMesh only warned about is WARN', () => {
    const model = manifestModel('shop.orders', { audits: [audit('not_null', true)] });
    const { sink, run } = setup([model]);
    const { summary } = run(
      { type: 'audit_warning', model: 'shop.orders', message: '', failure: { audit: 'not_null', args: null, failed_rows: 2, query: null } },
      batch('shop.orders', { audits_passed: 0, audits_failed: 1 }),
    );
    expect(sink.sent.flatMap((s) => (s.kind === 'check' ? [[s.checkName, s.result.passed, s.result.severity]] : []))).toEqual([
      ['not_null', false, 'WARN'],
    ]);
    expect(summary.status).toBe('success');
  });

  it('a failed batch: blocking failures ERROR, the non-blocking ones of the same batch WARN', () => {
    const model = manifestModel('shop.orders', {
      audits: [audit('not_null', true), audit('number_of_rows', false), audit('unique_values', true)],
    });
    const { sink, run } = setup([model]);
    run(
      {
        type: 'audit_warning',
        model: 'shop.orders',
        message: '',
        failure: { audit: 'number_of_rows', args: {}, failed_rows: 1, query: null },
      },
      failed('shop.orders', {
        error_class: 'NodeAuditsErrors',
        audit_failures: [{ audit: 'not_null', args: {}, failed_rows: 1, query: null }],
      }),
    );
    expect(sink.sent.flatMap((s) => (s.kind === 'check' ? [[s.checkName, s.result.passed, s.result.severity]] : []))).toEqual([
      ['not_null', false, 'ERROR'],
      ['number_of_rows_1', false, 'WARN'],
      ['unique_values_2', true, 'ERROR'],
    ]);
  });
});

describe('Reporter: a failure outside the scope still fails the run', () => {
  it('names the model SQLMesh failed that the manifest does not know, with the fix', () => {
    const { sink, run } = setup([manifestModel('shop.a')]);
    const { summary } = run(batch('shop.a'), failed('shop.new_model'), {
      type: 'run_finished',
      status: 'failed',
      message: null,
      error_class: null,
    });
    expect(kinds(sink.sent)).toEqual(['materialize:shop/a', 'custom']);
    expect(summary).toMatchObject({ status: 'failed', exit_code: 1 });
    expect(summary.error).toMatch(/^shop\.new_model \(not in the manifest — regenerate the manifest .*\): ParserException: syntax error/s);
    expect(summary.manifest_drift).toEqual({ unknown_models: ['shop.new_model'], changed_models: [] });
  });
});

describe('Reporter: a stale manifest is named, never silent', () => {
  it('a model SQLMesh evaluated that the manifest does not know: WARNING naming it and the fix; summary lists it', () => {
    const { sink, run } = setup([manifestModel('shop.a')]);
    const { summary } = run(
      {
        type: 'evaluation_started',
        batches: { 'shop.a': 1, 'shop.added': 1 },
        fingerprints: { 'shop.a': 'fp-shop.a', 'shop.added': '42' },
      },
      batch('shop.a'),
      batch('shop.added'),
      { type: 'run_finished', status: 'success', message: null, error_class: null },
    );
    expect(summary).toMatchObject({ status: 'success', manifest_drift: { unknown_models: ['shop.added'], changed_models: [] } });
    const warnings = sink.sent.flatMap((s) => (s.kind === 'log' && s.level === 'WARNING' ? [s.message] : []));
    expect(warnings).toEqual([
      'The manifest is stale. SQLMesh evaluated 1 model(s) the manifest does not know (not recorded in Dagster): shop.added — regenerate the manifest (sqlmesh-pipes manifest --project DIR --out FILE) and reload the code location; if the project changed since the last plan, apply it (sqlmesh plan).',
    ]);
  });

  it("a selected model whose SQLMesh fingerprint differs from the manifest's, evaluated or not", () => {
    const { sink, run } = setup([manifestModel('shop.a'), manifestModel('shop.b'), manifestModel('shop.c')]);
    const { summary } = run(
      {
        type: 'environment_snapshots',
        environment: 'prod',
        fingerprints: { '"db"."shop"."a"': 'fp-shop.a', '"db"."shop"."b"': 'changed-b', '"db"."shop"."c"': 'changed-c' },
      },
      { type: 'evaluation_started', batches: { 'shop.a': 1 }, fingerprints: { 'shop.a': 'changed-a' } },
      batch('shop.a'),
    );
    expect(summary.manifest_drift).toEqual({ unknown_models: [], changed_models: ['shop.a', 'shop.b', 'shop.c'] });
    expect(
      sink.sent.some(
        (s) => s.kind === 'log' && s.level === 'WARNING' && s.message.includes('3 model(s) in this step are defined differently'),
      ),
    ).toBe(true);
  });

  it('an up-to-date manifest: no drift, no warning', () => {
    const { sink, run } = setup([manifestModel('shop.a')]);
    const { summary } = run(
      { type: 'environment_snapshots', environment: 'prod', fingerprints: { '"db"."shop"."a"': 'fp-shop.a' } },
      { type: 'evaluation_started', batches: { 'shop.a': 1 }, fingerprints: { 'shop.a': 'fp-shop.a' } },
      batch('shop.a'),
    );
    expect(summary.manifest_drift).toBeNull();
    expect(sink.sent.some((s) => s.kind === 'log' && s.level === 'WARNING')).toBe(false);
  });
});

describe('Reporter: audits of external models and standalone audits', () => {
  function setupNodes() {
    const sink = recordingSink();
    const orders = manifestModel('shop.orders', { depends_on: ['"db"."raw"."src"'] });
    const manifest = manifestOf([orders], {
      external_models: [manifestExternal('raw.src', { audits: [audit('not_null', true), audit('accepted_range', false)] })],
      standalone_audits: [
        {
          name: 'sa_positive',
          depends_on: ['"db"."shop"."orders"'],
          cron: '@daily',
          cron_tz: null,
          description: null,
          fingerprint: 'fp-sa',
        },
      ],
    });
    const checks: SelectedCheck[] = [
      { asset_key: 'raw/src', check_name: 'not_null', model: 'raw.src', audit: 'not_null', audit_index: 0 },
      { asset_key: 'raw/src', check_name: 'accepted_range', model: 'raw.src', audit: 'accepted_range', audit_index: 1 },
      { asset_key: 'shop/orders', check_name: 'sa_positive', model: 'sa_positive', audit: 'sa_positive', audit_index: 0 },
    ];
    const reporter = new Reporter(sink, {
      assetKeys: new Map([['shop.orders', 'shop/orders']]),
      checks,
      models: new Map([['shop.orders', orders]]),
      nodes: indexManifest(manifest).nodes,
    });
    return { sink, reporter };
  }

  it('report like the others: external audits on the external asset, the standalone audit on its model', () => {
    const { sink, reporter } = setupNodes();
    for (const event of [
      { type: 'evaluation_started', batches: { 'raw.src': 1, 'shop.orders': 1, sa_positive: 1 } },
      {
        type: 'audit_warning',
        model: 'raw.src',
        batch_index: 0,
        message: '',
        failure: { audit: 'accepted_range', audit_index: 1, args: {}, failed_rows: 2, query: null },
      },
      batch('raw.src', { node: 'external', audits_passed: 1, audits_failed: 1 }),
      batch('shop.orders'),
      {
        type: 'audit_warning',
        model: 'sa_positive',
        batch_index: 0,
        message: '',
        failure: { audit: 'sa_positive', audit_index: 0, args: {}, failed_rows: 1, query: null },
      },
      batch('sa_positive', { node: 'audit', audits_passed: 0, audits_failed: 1 }),
    ] as SqlmeshEvent[]) {
      reporter.handle(event);
    }
    const { summary } = reporter.finish(5);
    expect(sink.sent.flatMap((s) => (s.kind === 'check' ? [[s.assetKey, s.checkName, s.result.passed, s.result.severity]] : []))).toEqual([
      ['raw/src', 'not_null', true, 'ERROR'],
      ['raw/src', 'accepted_range', false, 'WARN'],
      ['shop/orders', 'sa_positive', false, 'WARN'],
    ]);
    expect(kinds(sink.sent).filter((k) => k.startsWith('materialize'))).toEqual(['materialize:shop/orders']);
    expect(summary).toMatchObject({ status: 'success', manifest_drift: null });
  });

  it('a blocking external audit failure: ERROR check, downstream skipped, the run fails naming the external model', () => {
    const { sink, reporter } = setupNodes();
    for (const event of [
      { type: 'evaluation_started', batches: { 'raw.src': 1, 'shop.orders': 1 } },
      { type: 'models_skipped', models: ['shop.orders'] },
      notNullFailed('raw.src', { node: 'external' }),
    ] as SqlmeshEvent[]) {
      reporter.handle(event);
    }
    const { summary } = reporter.finish(5);
    expect(checkLines(sink.sent)).toEqual([
      ['not_null', false, 'ERROR'],
      ['accepted_range', true, 'WARN'],
    ]);
    expect(summary).toMatchObject({ status: 'failed', error: 'raw.src: NodeAuditsErrors: Audits failed: not_null' });
    expect(summary.models[0]).toMatchObject({ model: 'shop.orders', outcome: 'skipped' });
  });
});

describe('Reporter: checks without their asset, audited in place', () => {
  function setupInPlace() {
    const sink = recordingSink();
    const orders = manifestModel('shop.orders', { audits: [audit('not_null'), audit('accepted_range', false)] });
    const checks: SelectedCheck[] = orders.audits.map((a, i) => ({
      asset_key: 'shop/orders',
      check_name: a.name,
      model: 'shop.orders',
      audit: a.name,
      audit_index: i,
    }));
    const reporter = new Reporter(sink, {
      assetKeys: new Map(),
      checks,
      models: new Map([['shop.orders', orders]]),
      nodes: indexManifest(manifestOf([orders])).nodes,
    });
    return { sink, reporter };
  }

  it('reports each audit with the intervals it covered, and never a materialization', () => {
    const { sink, reporter } = setupInPlace();
    const second: [string, string] = ['2024-01-02T00:00:00Z', '2024-01-03T00:00:00Z'];
    for (const event of [
      { type: 'evaluation_started', batches: { 'shop.orders': 2 } },
      batch('shop.orders', { batch_count: 2, batch_index: 1, interval: second, audits_passed: 2, annotation: 'audit only' }),
      batch('shop.orders', { batch_count: 2, audits_passed: 2, annotation: 'audit only' }),
    ] as SqlmeshEvent[]) {
      reporter.handle(event);
    }
    const { summary } = reporter.finish(5);
    const checks = sink.sent.flatMap((s) => (s.kind === 'check' ? [s] : []));
    expect(checks.map((c) => [c.checkName, c.result.passed, c.result.severity])).toEqual([
      ['not_null', true, 'ERROR'],
      ['accepted_range', true, 'WARN'],
    ]);
    expect(checks[0]!.result.metadata['sqlmesh/audit_only']).toEqual({ type: 'bool', raw_value: true });
    expect(checks[0]!.result.metadata['sqlmesh/audited_intervals']).toEqual({
      type: 'json',
      raw_value: [['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'], second],
    });
    expect(kinds(sink.sent).filter((k) => k.startsWith('materialize'))).toEqual([]);
    expect(summary).toMatchObject({ status: 'success', exit_code: 0, models: [] });
  });

  it('a blocking audit failing in place fails the run, naming the model', () => {
    const { sink, reporter } = setupInPlace();
    for (const event of [{ type: 'evaluation_started', batches: { 'shop.orders': 1 } }, notNullFailed('shop.orders')] as SqlmeshEvent[]) {
      reporter.handle(event);
    }
    const { summary } = reporter.finish(5);
    expect(checkLines(sink.sent)).toEqual([
      ['not_null', false, 'ERROR'],
      ['accepted_range', true, 'WARN'],
    ]);
    expect(summary.exit_code).toBe(1);
    expect(summary.error).toMatch(/^shop\.orders: /);
  });
});
