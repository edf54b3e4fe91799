import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { SqlmeshEvent } from '../../src/contracts/console-events.js';
import { Manifest } from '../../src/contracts/manifest.js';
import { RunExtras } from '../../src/contracts/run-extras.js';
import { RunSummary } from '../../src/contracts/run-summary.js';
import { AdaptiveSchedule } from '../../src/contracts/schedule.js';
import { Reporter } from '../../src/report/reporter.js';
import { indexManifest } from '../../src/sqlmesh/manifest.js';
import { runSqlmesh, spawnWithExeca } from '../../src/sqlmesh/process.js';
import { batch, failed } from '../helpers/events.js';
import { manifestModel, manifestOf } from '../helpers/manifest.js';
import { collect } from '../sqlmesh/helpers/events.js';
import { AMOUNTS, cleanScratch, END, PYTHON, plannedProject, scenario } from '../sqlmesh/helpers/projects.js';

// Each side's real output through the other side's reader: the Python readers are generated
// from the same zod schemas, so these catch a producer that drifts from its contract.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DAGSTER_PYTHON = join(root, '.venv', 'bin', 'python');

/** Run Python (the Dagster-side venv) with `input` on stdin; its stdout as JSON. */
async function python(code: string, input = ''): Promise<unknown> {
  const { stdout } = await execa(DAGSTER_PYTHON, ['-c', code], { input, cwd: root });
  return JSON.parse(stdout);
}

describe('run extras: written by the Dagster side, read by the executor', () => {
  it("build_run_extras' JSON is a valid RunExtras, selection and options intact", async () => {
    const extras = await python(`
import json
from datetime import datetime, timezone
from dagster import AssetCheckKey, AssetKey
from sqlmesh_pipes.extras import EXTRAS_KEY, build_run_extras, pipes_extras
from sqlmesh_pipes.specs import SelectedCheckRef
key = AssetKey(["db", "we/ird", "orders"])
extras = build_run_extras(
    models={key: "we.orders", AssetKey(["db", "s", "b"]): "s.b"},
    checks=[(AssetCheckKey(key, "not_null"), SelectedCheckRef("we.orders", "not_null", 0))],
    project_dir="/p", environment="dev", gateway=None, ignore_cron=True, concurrent_tasks=2,
    execution_time=datetime(2026, 1, 2, tzinfo=timezone.utc), termination_timeout_seconds=7,
)
print(json.dumps(pipes_extras(extras)[EXTRAS_KEY]))`);
    const parsed = RunExtras.parse(extras);
    expect(parsed).toMatchObject({
      version: 1,
      models: { 'db/s/b': 's.b', 'db/we\\/ird/orders': 'we.orders' },
      checks: [{ asset_key: 'db/we\\/ird/orders', check_name: 'not_null', model: 'we.orders', audit: 'not_null', audit_index: 0 }],
      environment: 'dev',
      gateway: null,
      ignore_cron: true,
      concurrent_tasks: 2,
      execution_time: '2026-01-02T00:00:00+00:00',
      termination_timeout_seconds: 7,
      console: 'json',
    });
  });
});

describe('run summary: written by the executor, read by the Dagster side', () => {
  it("the Reporter's summary of a failed, partial, skipped and stale run reads back field for field", async () => {
    const models = ['shop.a', 'shop.b', 'shop.c', 'shop.d'].map((name) =>
      manifestModel(name, { kind: name === 'shop.d' ? 'INCREMENTAL_BY_TIME_RANGE' : 'FULL' }),
    );
    const payloads: unknown[] = [];
    const reporter = new Reporter(
      { log: () => {}, materialize: () => {}, check: () => {}, custom: (payload) => payloads.push(payload) },
      {
        assetKeys: new Map(models.map((m) => [m.name, m.name.replace('.', '/')])),
        checks: [],
        models: new Map(models.map((m) => [m.name, m])),
        nodes: indexManifest(manifestOf(models)).nodes,
      },
    );
    for (const event of [
      { type: 'evaluation_started', batches: { 'shop.a': 1, 'shop.b': 1, 'shop.c': 1, 'shop.d': 2 } },
      { type: 'environment_snapshots', environment: 'prod', fingerprints: { '"db"."shop"."new"': 'x' } },
      batch('shop.a'),
      batch('shop.d', { batch_index: 0, batch_count: 2, interval: ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'] }),
      { type: 'evaluation_finished', success: false },
      { type: 'models_skipped', models: ['shop.c'] },
      failed('shop.b'),
      failed('shop.d', { batch_index: 1, interval: ['2024-01-02T00:00:00Z', '2024-01-03T00:00:00Z'] }),
      { type: 'run_finished', status: 'failed', message: null, error_class: null },
    ] as SqlmeshEvent[]) {
      reporter.handle(event);
    }
    const { summary } = reporter.finish(1234);
    expect(payloads).toEqual([summary]);
    const wire = JSON.parse(JSON.stringify(summary));
    RunSummary.parse(wire);
    const read = await python(
      `
import json, sys
from dataclasses import asdict
from sqlmesh_pipes.results import failed_models, find_run_summary
summary = find_run_summary([json.load(sys.stdin)])
print(json.dumps({"summary": summary.to_json(), "failed": [m.model for m in failed_models(summary)]}))`,
      JSON.stringify(wire),
    );
    expect(read).toEqual({ summary: wire, failed: ['shop.b', 'shop.d'] });
    expect(summary.models.map((m) => [m.model, m.outcome])).toEqual([
      ['shop.a', 'materialized'],
      ['shop.b', 'failed'],
      ['shop.c', 'skipped'],
      ['shop.d', 'partial'],
    ]);
  });
});

describe('manifest: written by the SQLMesh side, read by the Dagster side and the executor', () => {
  it('a manifest the SQLMesh side builds from a real project passes both readers unchanged', async () => {
    const project = join(root, 'examples', 'sqlmesh_project');
    const { stdout } = await execa(PYTHON, ['-m', 'sqlmesh_pipes_console', 'manifest', '--project', project], {
      env: { PYTHONPATH: join(root, 'python_shim', 'src'), SQLMESH__DISABLE_ANONYMIZED_ANALYTICS: '1' },
    });
    const raw = JSON.parse(stdout);
    expect(Manifest.parse(raw)).toEqual(raw);
    const read = await python(
      `
import json, sys
from sqlmesh_pipes.manifest import parse_manifest
print(json.dumps(parse_manifest(json.load(sys.stdin)).to_json()))`,
      stdout,
    );
    expect(read).toEqual(raw);
    expect(raw.models.length).toBeGreaterThan(10);
  });

  it("the TypeScript tests' manifest builders are what the Python reader accepts", async () => {
    const raw = manifestOf([manifestModel('shop.a', { audits: [{ name: 'not_null', args: { columns: '[id]' }, blocking: true }] })]);
    const read = await python(
      `
import json, sys
from sqlmesh_pipes.manifest import parse_manifest
print(json.dumps(parse_manifest(json.load(sys.stdin)).to_json()))`,
      JSON.stringify(raw),
    );
    expect(read).toEqual(raw);
  });

  it('the committed example manifest (python_shim tests) is a valid Manifest', async () => {
    const raw = JSON.parse(await readFile(join(root, 'python_shim', 'tests', 'fixtures', 'example_manifest.json'), 'utf8'));
    expect(Manifest.parse(raw)).toEqual(raw);
  });
});

describe('adaptive schedule: written by `sqlmesh-pipes schedule`, read by the Dagster side', () => {
  it("the executor's answer for a real manifest reads back unchanged", async () => {
    const manifest = join(root, 'python_shim', 'tests', 'fixtures', 'example_manifest.json');
    const { stdout } = await execa(process.execPath, [join(root, 'dist', 'cli.js'), 'schedule', '--manifest', manifest]);
    const answer = AdaptiveSchedule.parse(JSON.parse(stdout));
    const read = await python(
      `
import sys, json
from sqlmesh_pipes.executor import parse_schedule_output
print(json.dumps(parse_schedule_output(sys.stdin.read(), command="schedule").to_json()))`,
      stdout,
    );
    expect(read).toEqual(answer);
  });
});

describe('console events: written by the JSON console, read by the executor', () => {
  // Strict here (the executor reads them loosely, for newer consoles): a key the schema does not
  // know means the console and the schema disagree.
  const strict = new Map<string, z.ZodType>(SqlmeshEvent.options.map((option) => [option.shape.type.value, option.strict()]));
  let planned: string;
  beforeAll(async () => {
    planned = await plannedProject();
  });
  afterAll(cleanScratch);

  async function rawEventLines(amounts: string): Promise<string[]> {
    const project = await scenario(planned, amounts);
    let text = '';
    const spawn: typeof spawnWithExeca = (command) => {
      const child = spawnWithExeca(command);
      child.events?.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      return child;
    };
    await collect(await runSqlmesh({ project, end: END, python: PYTHON, console: 'json' }, { spawn }));
    return text.split('\n').filter((line) => line.trim() !== '');
  }

  it.each([
    ['a blocking audit fails (model_failed with audit failures, models_skipped)', AMOUNTS.blockingAudit],
    ['a non-blocking audit fails (audit_warning)', AMOUNTS.nonBlockingAudit],
  ])('%s: every line is an event of the schema, key for key', async (_, amounts) => {
    const lines = await rawEventLines(amounts);
    const types = new Set<string>();
    for (const line of lines) {
      const event = JSON.parse(line) as { type: string };
      const schema = strict.get(event.type);
      expect(schema, `unknown event type in ${line}`).toBeDefined();
      const parsed = schema!.safeParse(event);
      expect(parsed.success, `${line}\n${parsed.error?.message}`).toBe(true);
      types.add(event.type);
    }
    expect(types).toContain('run_started');
    expect(types).toContain('run_finished');
    expect(types).toContain(amounts === AMOUNTS.blockingAudit ? 'model_failed' : 'audit_warning');
  });
});
