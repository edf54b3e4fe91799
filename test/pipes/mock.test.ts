import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { makeMessage } from '../../src/pipes/message.js';
import { md } from '../../src/pipes/metadata.js';
import { formatMessage, mockContextData } from '../../src/pipes/mock.js';
import { openDagsterPipes, openMockDagsterPipes } from '../../src/pipes/open.js';
import { line, OPENED } from './helpers.js';

describe('mock context', () => {
  it('writes the exact Dagster bytes to the messages file and a readable echo to stderr', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pipes-mock-')), 'messages.jsonl');
    writeFileSync(file, 'stale content\n');
    const echo = new PassThrough();
    let echoed = '';
    echo.on('data', (chunk: Buffer) => (echoed += chunk.toString()));
    const pipes = openMockDagsterPipes(
      { assetKeys: ['shop/orders', 'shop/items'], extras: { manifest: 'm.json' }, messagesFile: file, echo },
      { signals: false, exitHook: false },
    );
    expect(pipes.extras).toEqual({ manifest: 'm.json' });
    expect(pipes.runId).toMatch(/^mock-[0-9a-f-]{36}$/);
    pipes.log.info('starting');
    pipes.reportAssetMaterialization({
      assetKey: 'shop/orders',
      dataVersion: 'v1',
      metadata: { rows: md.int(3), secs: md.float(1), at: md.timestamp(0) },
    });
    pipes.reportAssetCheck({ assetKey: 'shop/orders', checkName: 'positive', passed: false, severity: 'WARN' });
    pipes.reportCustomMessage({ summary: 'ok' });
    await pipes.close(new Error('one model failed'));
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.slice(0, 5)).toEqual([
      OPENED,
      line('log', '{"message": "starting", "level": "INFO"}'),
      line(
        'report_asset_materialization',
        '{"asset_key": "shop/orders", "data_version": "v1", "metadata": {"rows": {"raw_value": 3, "type": "int"}, "secs": {"raw_value": 1.0, "type": "float"}, "at": {"raw_value": 0, "type": "timestamp"}}}',
      ),
      line(
        'report_asset_check',
        '{"asset_key": "shop/orders", "check_name": "positive", "passed": false, "metadata": null, "severity": "WARN"}',
      ),
      line('report_custom_message', '{"payload": {"summary": "ok"}}'),
    ]);
    expect(lines[5]).toMatch(
      /^\{"__dagster_pipes_version": "0.1", "method": "closed", "params": \{"exception": \{"message": "one model failed"/,
    );
    expect(lines[6]).toBe('');
    expect(echoed.split('\n').filter((l) => !l.startsWith('  at '))).toEqual([
      '[pipes] opened',
      '[INFO] starting',
      'materialized shop/orders (data version v1)',
      '    rows: 3',
      '    secs: 1.0',
      '    at: 1970-01-01T00:00:00.000Z',
      'check shop/orders:positive FAILED (WARN)',
      'custom message: {"summary": "ok"}',
      '[pipes] closed with error: Error: one model failed',
      '',
    ]);
  });

  it('applies the same key rules as a real context', () => {
    const pipes = openMockDagsterPipes({ assetKeys: ['a', 'b'], echo: null }, { signals: false, exitHook: false });
    expect(() => pipes.reportAssetMaterialization()).toThrow(/ambiguous/);
    expect(() => pipes.reportAssetMaterialization({ assetKey: 'c' })).toThrow(/Invalid asset key/);
  });

  it('builds a complete, valid context payload', () => {
    expect(mockContextData({ assetKeys: ['a'], data: { run_id: 'r', partition_key: 'p' } })).toEqual({
      asset_keys: ['a'],
      code_version_by_asset_key: { a: null },
      provenance_by_asset_key: { a: null },
      partition_key: 'p',
      partition_key_range: null,
      partition_time_window: null,
      run_id: 'r',
      job_name: null,
      retry_number: 0,
      extras: {},
    });
    expect(mockContextData().asset_keys).toBeNull();
  });

  it('openDagsterPipes falls back to the mock outside Dagster, and refuses without one', () => {
    const outside = { env: {}, argv: [], signals: false, exitHook: false } as const;
    expect(() => openDagsterPipes(outside)).toThrow(/^This process was not launched by Dagster Pipes/);
    const pipes = openDagsterPipes({ ...outside, mock: { assetKeys: ['x'], echo: null } });
    expect(pipes.assetKey).toBe('x');
  });

  it('formats every message kind', () => {
    expect(formatMessage(makeMessage('log_external_stream', { stream: 'stdout', text: 'hi\n', extras: {} }))).toBe('[stdout] hi');
    expect(
      formatMessage(
        makeMessage('report_asset_check', { asset_key: 'a', check_name: 'c', passed: true, metadata: null, severity: 'ERROR' }),
      ),
    ).toBe('check a:c passed');
  });
});
