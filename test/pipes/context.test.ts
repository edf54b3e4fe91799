import { describe, expect, it } from 'vitest';
import { PipesContext } from '../../src/pipes/context.js';
import { CLOSED, contextData, line, MemoryChannel, memoryContext, OPENED } from './helpers.js';

describe('lifecycle', () => {
  it('writes opened first and closed exactly once; writes after close throw', async () => {
    const { pipes, channel } = memoryContext();
    expect(channel.lines).toEqual([OPENED]);
    pipes.log.info('hi');
    await pipes.close();
    await pipes.close(new Error('late'));
    pipes.closeSync();
    expect(channel.lines).toEqual([OPENED, line('log', '{"message": "hi", "level": "INFO"}'), CLOSED]);
    expect(channel.closed).toBe(true);
    expect(pipes.isClosed).toBe(true);
    expect(() => pipes.log.info('after')).toThrow('Cannot send `log` after the Dagster Pipes context is closed.');
    expect(() => pipes.reportAssetMaterialization()).toThrow(
      'Cannot send `report_asset_materialization` after the Dagster Pipes context is closed.',
    );
  });

  it('closed carries the exception with all five keys', async () => {
    const { pipes, channel } = memoryContext();
    const error = new RangeError('bad');
    error.stack = 'RangeError: bad\n    at f (/x.js:1:2)';
    await pipes.close(error);
    expect(channel.lines[1]).toBe(
      line(
        'closed',
        '{"exception": {"message": "bad", "stack": ["  at f (/x.js:1:2)\\n"], "name": "RangeError", "cause": null, "context": null}}',
      ),
    );
  });

  it('runs close hooks before closed is written', async () => {
    const { pipes, channel } = memoryContext();
    const seen: number[] = [];
    pipes.onClose(() => seen.push(channel.lines.length));
    await pipes.close();
    expect(seen).toEqual([1]);
  });

  it('sends opened extras', () => {
    const channel = new MemoryChannel();
    new PipesContext(contextData(), channel, { openedExtras: { pid: 7 } });
    expect(channel.lines).toEqual([line('opened', '{"extras": {"pid": 7}}')]);
  });
});

describe('reporting: exact lines', () => {
  it('logs at every level', () => {
    const { pipes, channel } = memoryContext();
    pipes.log.debug('d');
    pipes.log.info('i');
    pipes.log.warning('w');
    pipes.log.warn('w2');
    pipes.log.error('e');
    pipes.log.critical('c');
    pipes.log.log('INFO', 'é');
    expect(channel.lines.slice(1)).toEqual([
      line('log', '{"message": "d", "level": "DEBUG"}'),
      line('log', '{"message": "i", "level": "INFO"}'),
      line('log', '{"message": "w", "level": "WARNING"}'),
      line('log', '{"message": "w2", "level": "WARNING"}'),
      line('log', '{"message": "e", "level": "ERROR"}'),
      line('log', '{"message": "c", "level": "CRITICAL"}'),
      line('log', '{"message": "\\u00e9", "level": "INFO"}'),
    ]);
    expect(() => pipes.log.log('info' as never, 'x')).toThrow(/^Invalid params for `log`/);
  });

  it('materializations, checks, custom messages, external streams', () => {
    const { pipes, channel } = memoryContext({ asset_keys: ['a', 'b/c\\/d'] });
    pipes.reportAssetMaterialization({ assetKey: 'b/c\\/d', dataVersion: 'v1', metadata: { n: 1 } });
    pipes.reportAssetCheck({ assetKey: 'a', checkName: 'c1', passed: false, severity: 'WARN' });
    pipes.reportAssetCheck({ assetKey: 'a', checkName: 'c2', passed: true, metadata: { m: 'x' } });
    pipes.reportCustomMessage({ k: [1, 'ü'] });
    pipes.logExternalStream('stderr', 'out\n');
    expect(channel.lines.slice(1)).toEqual([
      line(
        'report_asset_materialization',
        '{"asset_key": "b/c\\\\/d", "data_version": "v1", "metadata": {"n": {"raw_value": 1, "type": "__infer__"}}}',
      ),
      line('report_asset_check', '{"asset_key": "a", "check_name": "c1", "passed": false, "metadata": null, "severity": "WARN"}'),
      line(
        'report_asset_check',
        '{"asset_key": "a", "check_name": "c2", "passed": true, "metadata": {"m": {"raw_value": "x", "type": "__infer__"}}, "severity": "ERROR"}',
      ),
      line('report_custom_message', '{"payload": {"k": [1, "\\u00fc"]}}'),
      line('log_external_stream', '{"stream": "stderr", "text": "out\\n", "extras": {}}'),
    ]);
  });
});

describe('asset-key rules', () => {
  it('defaults to the only key in scope', () => {
    const { pipes, channel } = memoryContext({ asset_keys: ['only'] });
    pipes.reportAssetMaterialization();
    expect(channel.lines[1]).toBe(line('report_asset_materialization', '{"asset_key": "only", "data_version": null, "metadata": null}'));
  });

  it('requires an explicit key when several are in scope', () => {
    const { pipes } = memoryContext({ asset_keys: ['a', 'b'] });
    expect(() => pipes.reportAssetMaterialization()).toThrow(
      'Calling `report_asset_materialization` without an asset key is ambiguous: the current step targets 2 assets. Pass `assetKey`.',
    );
    expect(() => pipes.reportAssetCheck({ checkName: 'c', passed: true })).toThrow(
      /^Calling `report_asset_check` without an asset key is ambiguous/,
    );
  });

  it('refuses keys not in scope', () => {
    const { pipes } = memoryContext({ asset_keys: ['a', 'b'] });
    expect(() => pipes.reportAssetMaterialization({ assetKey: 'z' })).toThrow(
      'Invalid asset key for `report_asset_materialization`: expected one of ["a","b"], got "z".',
    );
  });

  it('accepts an explicit key when no key list is in scope ([] or null), and requires one', () => {
    for (const asset_keys of [[], null]) {
      const { pipes, channel } = memoryContext({ asset_keys });
      pipes.reportAssetMaterialization({ assetKey: 'x' });
      expect(channel.lines[1]).toContain('"asset_key": "x"');
      expect(() => pipes.reportAssetCheck({ checkName: 'c', passed: true })).toThrow(
        'Calling `report_asset_check` without an asset key is undefined: the current step does not target a specific asset. Pass `assetKey`.',
      );
    }
  });

  it('refuses a second materialization of a key and a second result of a check', () => {
    const { pipes, channel } = memoryContext({ asset_keys: ['a', 'b'] });
    pipes.reportAssetMaterialization({ assetKey: 'a' });
    expect(() => pipes.reportAssetMaterialization({ assetKey: 'a' })).toThrow(
      'Calling `report_asset_materialization` with asset key `a` twice: the asset has already been materialized in this run.',
    );
    pipes.reportAssetCheck({ assetKey: 'a', checkName: 'c', passed: true });
    pipes.reportAssetCheck({ assetKey: 'b', checkName: 'c', passed: true });
    expect(() => pipes.reportAssetCheck({ assetKey: 'a', checkName: 'c', passed: false })).toThrow(
      'Calling `report_asset_check` for check `c` of `a` twice: it has already been reported in this run.',
    );
    expect(channel.lines).toHaveLength(4);
  });

  it('an invalid report is not counted: the corrected retry goes through', () => {
    const { pipes } = memoryContext();
    expect(() => pipes.reportAssetMaterialization({ metadata: { x: { raw_value: 1, type: 'job' } as never } })).toThrow();
    expect(() => pipes.reportAssetMaterialization()).not.toThrow();
  });
});

describe('context accessors (dagster_pipes semantics)', () => {
  const data = contextData({
    asset_keys: ['a'],
    code_version_by_asset_key: { a: 'cv1' },
    provenance_by_asset_key: { a: null },
    partition_key: '2024-01-01',
    partition_key_range: { start: '2024-01-01', end: '2024-01-01' },
    partition_time_window: { start: '2024-01-01T00:00:00+00:00', end: '2024-01-02T00:00:00+00:00' },
    job_name: 'job',
    retry_number: 2,
    extras: { k: null },
  });

  it('reads every field', () => {
    const pipes = new PipesContext(data, new MemoryChannel());
    expect([pipes.isAssetStep, pipes.assetKey, pipes.assetKeys, pipes.codeVersion, pipes.provenance]).toEqual([
      true,
      'a',
      ['a'],
      'cv1',
      null,
    ]);
    expect([pipes.isPartitionStep, pipes.partitionKey, pipes.partitionKeyRange.end, pipes.partitionTimeWindow?.start]).toEqual([
      true,
      '2024-01-01',
      '2024-01-01',
      '2024-01-01T00:00:00+00:00',
    ]);
    expect([pipes.runId, pipes.jobName, pipes.retryNumber, pipes.getExtra('k')]).toEqual(['run-1', 'job', 2, null]);
  });

  it('throws for what is undefined', () => {
    const pipes = new PipesContext(contextData({ asset_keys: null }), new MemoryChannel());
    expect(() => pipes.assetKeys).toThrow('`assetKeys` is undefined. Current step does not target an asset.');
    expect(() => pipes.partitionKey).toThrow('`partitionKey` is undefined. Current step does not target any partitions.');
    expect(() => pipes.getExtra('nope')).toThrow('Extra `nope` is undefined. Extras must be provided by the Dagster side.');
    const two = new PipesContext(contextData({ asset_keys: ['a', 'b'] }), new MemoryChannel());
    expect(() => two.assetKey).toThrow('`assetKey` is undefined. Current step targets 2 assets.');
  });
});
