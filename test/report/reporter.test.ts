import { describe, expect, it } from 'vitest';
import type { SelectedCheck } from '../../src/extras.js';
import type { CheckIntent } from '../../src/report/messages.js';
import type { MetadataMap } from '../../src/report/metadata.js';
import { Reporter, type ReportSink } from '../../src/report/reporter.js';
import type { SqlmeshEvent } from '../../src/sqlmesh/events.js';
import type { ManifestModel } from '../../src/sqlmesh/manifest-schema.js';
import { batch, failed } from '../helpers/events.js';
import { manifestModel } from '../helpers/manifest.js';

type Sent =
  | { kind: 'log'; message: string; level: string }
  | { kind: 'materialize'; assetKey: string; metadata: MetadataMap }
  | { kind: 'check'; assetKey: string; checkName: string; result: CheckIntent }
  | { kind: 'custom'; payload: unknown };

function recordingSink(): ReportSink & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    log: (message, level) => sent.push({ kind: 'log', message, level }),
    materialize: (assetKey, metadata) => sent.push({ kind: 'materialize', assetKey, metadata }),
    check: (assetKey, checkName, result) => sent.push({ kind: 'check', assetKey, checkName, result }),
    custom: (payload) => sent.push({ kind: 'custom', payload }),
  };
}

const audit = (name: string, blocking = true, args: Record<string, string> = {}) => ({ name, args, blocking });

function setup(models: ManifestModel[], options: { checks?: boolean; only?: string[] } = {}) {
  const sink = recordingSink();
  const inScope = models.filter((m) => !options.only || options.only.includes(m.name));
  const checks: SelectedCheck[] = options.checks === false ? [] : inScope.flatMap((m) =>
    m.audits.map((a, i) => ({ asset_key: m.name.replace('.', '/'), check_name: i === 0 ? a.name : `${a.name}_${i}`, model: m.name, audit: a.name, audit_index: i })),
  );
  const reporter = new Reporter(sink, {
    assetKeys: new Map(inScope.map((m) => [m.name, m.name.replace('.', '/')])),
    checks,
    models: new Map(models.map((m) => [m.name, m])),
  });
  const run = (...events: SqlmeshEvent[]) => {
    for (const event of events) reporter.handle(event);
    return reporter.finish(1234);
  };
  return { sink, reporter, run };
}

const kinds = (sent: Sent[]) => sent.filter((s) => s.kind !== 'log').map((s) => (s.kind === 'custom' ? 'custom' : `${s.kind}:${'checkName' in s ? `${s.assetKey}#${s.checkName}` : s.assetKey}`));

describe('Reporter', () => {
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
    const orders = manifestModel('shop.orders', { kind: 'INCREMENTAL_BY_TIME_RANGE', audits: [audit('not_null', true, { columns: '[id]' })] });
    const { sink, run } = setup([orders, manifestModel('shop.customers')]);
    const { summary } = run(
      { type: 'evaluation_started', batches: { 'shop.orders': 2, 'shop.customers': 1 } },
      batch('shop.orders', { batch_index: 0, batch_count: 2, audits_passed: 1, interval: ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'] }),
      batch('shop.customers', { interval: null, annotation: 'full refresh', duration_ms: 250 }),
      batch('shop.orders', { batch_index: 1, batch_count: 2, audits_passed: 1, interval: ['2024-01-02T00:00:00Z', '2024-01-03T00:00:00Z'], execution_stats: { total_rows_processed: 10, total_bytes_processed: null } }),
      { type: 'evaluation_finished', success: true },
      { type: 'run_finished', status: 'success', message: null, error_class: null },
    );
    expect(kinds(sink.sent)).toEqual(['materialize:shop/customers', 'materialize:shop/orders', 'check:shop/orders#not_null', 'custom']);
    const orderMat = sink.sent.find((s) => s.kind === 'materialize' && s.assetKey === 'shop/orders');
    expect(orderMat).toMatchObject({
      metadata: {
        'sqlmesh/batches': { raw_value: 2, type: 'int' },
        'sqlmesh/duration_s': { raw_value: 3, type: 'float' },
        'sqlmesh/intervals': { raw_value: [['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'], ['2024-01-02T00:00:00Z', '2024-01-03T00:00:00Z']], type: 'json' },
        'sqlmesh/interval_start': { raw_value: '2024-01-01T00:00:00Z' },
        'sqlmesh/interval_end': { raw_value: '2024-01-03T00:00:00Z' },
        'sqlmesh/kind': { raw_value: 'INCREMENTAL_BY_TIME_RANGE' },
        'dagster/table_name': { raw_value: 'db.shop.orders' },
        'dagster/row_count': { raw_value: 10, type: 'int' },
      },
    });
    expect(sink.sent.find((s) => s.kind === 'check')).toMatchObject({ result: { passed: true, severity: 'ERROR' } });
    expect(summary).toMatchObject({ exit_code: 0, status: 'success', error: null, duration_ms: 1234 });
    expect(summary.models.map((m) => [m.model, m.outcome])).toEqual([['shop.orders', 'materialized'], ['shop.customers', 'materialized']]);
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
    expect(summary.models.map((m) => [m.model, m.outcome])).toEqual([['shop.a', 'materialized'], ['shop.b', 'failed'], ['shop.c', 'skipped']]);
    const logs = sink.sent.filter((s) => s.kind === 'log').map((s) => s.kind === 'log' && `${s.level} ${s.message}`);
    expect(logs).toContain('WARNING skipped because an upstream model failed: shop.c');
    expect(logs).toContain('INFO shop.c: not materialized — skipped by SQLMesh because an upstream model failed');
    expect(logs.at(-1)).toBe('ERROR SQLMesh run failed for 1 model(s):\nshop.b: ParserException: syntax error at or near "SELEC"');
  });

  it('a model that failed a later batch is failed, not materialized', () => {
    const { sink, run } = setup([manifestModel('shop.events')]);
    const { summary } = run(
      { type: 'evaluation_started', batches: { 'shop.events': 3 } },
      batch('shop.events', { batch_index: 0, batch_count: 3 }),
      failed('shop.events', { batch_index: 1 }),
    );
    expect(kinds(sink.sent)).toEqual(['custom']);
    expect(summary.models[0]).toMatchObject({ outcome: 'failed', error_class: 'ParserException' });
  });

  it('non-blocking audit failure: materialized, check failed with WARN', () => {
    const model = manifestModel('shop.orders', { audits: [audit('not_null'), audit('positive_non_blocking', false)] });
    const { sink, run } = setup([model]);
    run(
      { type: 'evaluation_started', batches: { 'shop.orders': 1 } },
      { type: 'audit_warning', model: 'shop.orders', message: 'audit error', failure: { audit: 'positive_non_blocking', args: {}, failed_rows: 3, query: 'SELECT * FROM t WHERE x <= 0' } },
      batch('shop.orders', { audits_passed: 1, audits_failed: 1 }),
    );
    const checks = sink.sent.filter((s) => s.kind === 'check');
    expect(checks.map((c) => c.kind === 'check' && [c.checkName, c.result.passed, c.result.severity])).toEqual([
      ['not_null', true, 'ERROR'],
      ['positive_non_blocking_1', false, 'WARN'],
    ]);
    expect(checks[1]).toMatchObject({ result: { metadata: { 'sqlmesh/failing_rows': { raw_value: 3 }, 'sqlmesh/audit_query': { type: 'md' } } } });
    expect(kinds(sink.sent)[0]).toBe('materialize:shop/orders');
  });

  it('blocking audit failure: model failed, its checks reported (failed ERROR, others passed)', () => {
    const model = manifestModel('shop.orders', { audits: [audit('not_null'), audit('unique_values')] });
    const { sink, run } = setup([model]);
    const { summary } = run(
      { type: 'evaluation_started', batches: { 'shop.orders': 1 } },
      failed('shop.orders', { error_class: 'NodeAuditsErrors', message: "'unique_values' audit error: 2 rows failed.", audit_failures: [{ audit: 'unique_values', args: { columns: '[id]' }, failed_rows: 2, query: 'SELECT 1' }] }),
    );
    expect(kinds(sink.sent)).toEqual(['check:shop/orders#not_null', 'check:shop/orders#unique_values_1', 'custom']);
    const results = sink.sent.flatMap((s) => (s.kind === 'check' ? [[s.result.passed, s.result.severity]] : []));
    expect(results).toEqual([[true, 'ERROR'], [false, 'ERROR']]);
    expect(summary.status).toBe('failed');
  });

  it('one audit used twice is told apart by its arguments', () => {
    const model = manifestModel('shop.orders', { audits: [audit('not_null', false, { columns: '[id]' }), audit('not_null', false, { columns: '[customer_id]' })] });
    const { sink, run } = setup([model]);
    run(
      { type: 'audit_warning', model: 'shop.orders', message: '', failure: { audit: 'not_null', args: { columns: '[customer_id]' }, failed_rows: 1, query: null } },
      batch('shop.orders', { audits_passed: 1, audits_failed: 1 }),
    );
    expect(sink.sent.flatMap((s) => (s.kind === 'check' ? [[s.checkName, s.result.passed]] : []))).toEqual([['not_null', true], ['not_null_1', false]]);
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
    expect(summary.models[1]).toMatchObject({ model: 'shop.daily', outcome: 'not_due', reason: 'no interval was due in this run (cron not elapsed or already up to date)' });
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
    const { summary } = run({ type: 'run_finished', status: 'error', message: "Environment 'prod' was not found.", error_class: 'SQLMeshError' });
    expect(summary).toMatchObject({ status: 'failed', exit_code: 1, error: "Environment 'prod' was not found." });
    expect(summary.models).toEqual([
      { model: 'shop.a', asset_key: 'shop/a', outcome: 'not_run', reason: "not evaluated: Environment 'prod' was not found.", error_class: null },
    ]);
    expect(sink.sent.filter((s) => s.kind === 'log').at(-1)).toMatchObject({ level: 'ERROR', message: "SQLMesh run failed: Environment 'prod' was not found." });
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
    expect(sink.sent.flatMap((s) => (s.kind === 'check' ? [[s.checkName, s.result.passed, s.result.severity]] : []))).toEqual([['not_null', false, 'WARN']]);
    expect(summary.status).toBe('success');
  });

  it('a failed batch: blocking failures ERROR, the non-blocking ones of the same batch WARN', () => {
    const model = manifestModel('shop.orders', { audits: [audit('not_null', true), audit('number_of_rows', false), audit('unique_values', true)] });
    const { sink, run } = setup([model]);
    run(
      { type: 'audit_warning', model: 'shop.orders', message: '', failure: { audit: 'number_of_rows', args: {}, failed_rows: 1, query: null } },
      failed('shop.orders', { error_class: 'NodeAuditsErrors', audit_failures: [{ audit: 'not_null', args: {}, failed_rows: 1, query: null }] }),
    );
    expect(sink.sent.flatMap((s) => (s.kind === 'check' ? [[s.checkName, s.result.passed, s.result.severity]] : []))).toEqual([
      ['not_null', false, 'ERROR'],
      ['number_of_rows_1', false, 'WARN'],
      ['unique_values_2', true, 'ERROR'],
    ]);
  });
});

describe('Reporter: a failure outside the scope still fails the run', () => {
  it('names the model SQLMesh failed that this step does not report (stale manifest)', () => {
    const { sink, run } = setup([manifestModel('shop.a')]);
    const { summary } = run(batch('shop.a'), failed('shop.new_model'), { type: 'run_finished', status: 'failed', message: null, error_class: null });
    expect(kinds(sink.sent)).toEqual(['materialize:shop/a', 'custom']);
    expect(summary).toMatchObject({ status: 'failed', exit_code: 1 });
    expect(summary.error).toMatch(/^SQLMesh failed model\(s\) outside this step .*\nshop\.new_model: ParserException: syntax error/s);
  });
});
