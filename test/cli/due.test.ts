import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DueNodes } from '../../src/contracts/schedule.js';
import { manifestExternal, manifestModel, manifestOf } from '../helpers/manifest.js';

// `sqlmesh-pipes due`: the schedule tick's question, answered from the manifest alone.
const CLI = resolve('dist', 'cli.js');
let dir: string;
let manifest: string;

async function due(args: string[]) {
  return execa(process.execPath, [CLI, 'due', ...args], { reject: false });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sqlmesh-pipes-due-'));
  manifest = join(dir, 'manifest.json');
  const models = [
    manifestModel('shop.hourly', { cron: '@hourly', interval_unit: 'hour' }),
    manifestModel('shop.daily'),
    manifestModel('shop.seed', { kind: 'SEED', cron: '@hourly', interval_unit: 'hour' }),
    manifestModel('shop.inlined', { kind: 'EMBEDDED', cron: '@hourly', interval_unit: 'hour' }),
  ];
  const data = manifestOf(models, {
    external_models: [manifestExternal('raw.src', { cron: '0 9 * * *' })],
    standalone_audits: [{ name: 'sa', depends_on: [], cron: '@daily', cron_tz: 'Asia/Kolkata', description: null, fingerprint: null }],
  });
  await writeFile(manifest, JSON.stringify(data));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('sqlmesh-pipes due', () => {
  it('names the due models, external models and standalone audits (never seeds or embedded models)', async () => {
    const result = await due(['--manifest', manifest, '--at', '2024-01-02T00:00:00Z', '--since', '2024-01-01T18:00:00Z']);
    expect(result.exitCode).toBe(0);
    // Kolkata's midnight is 18:30 UTC: inside the window.
    expect(DueNodes.parse(JSON.parse(result.stdout))).toEqual({
      at: '2024-01-02T00:00:00.000Z',
      since: '2024-01-01T18:00:00.000Z',
      models: ['shop.daily', 'shop.hourly'],
      external_models: [],
      standalone_audits: ['sa'],
    });
  });

  it("defaults `since` to the adaptive schedule's previous tick, or the given schedule's", async () => {
    const adaptive = await due(['--manifest', manifest, '--at', '2024-01-02T09:00:00Z']);
    expect(JSON.parse(adaptive.stdout)).toMatchObject({
      since: '2024-01-02T08:00:00.000Z',
      models: ['shop.hourly'],
      external_models: ['raw.src'],
    });
    const daily = await due(['--manifest', manifest, '--at', '2024-01-02T09:00:00Z', '--schedule-cron', '@daily']);
    expect(JSON.parse(daily.stdout)).toMatchObject({ since: '2024-01-02T00:00:00.000Z', models: ['shop.hourly'] });
  });

  it.each([
    [[], 'due needs --manifest FILE'],
    [['--manifest', 'MANIFEST'], 'due needs --at ISO-8601 time, e.g. --at 2024-01-02T00:00:00Z'],
    [['--manifest', 'MANIFEST', '--at', 'soon'], '--at "soon" is not a time — use ISO-8601, e.g. 2024-01-02T00:00:00Z'],
    [['--manifest', 'MANIFEST', '--at', '2024-01-02', '--schedule-tz', 'UTC'], '--schedule-tz goes with --schedule-cron'],
    [
      ['--manifest', 'MANIFEST', '--at', '2024-01-02', '--schedule-cron', 'often'],
      /^sqlmesh-pipes due: --schedule-cron "often": cron "often" has 1 fields/,
    ],
    [['--manifest', 'MANIFEST', '--at', '2024-01-02', '--project', '.'], '`due` does not take --project — see `sqlmesh-pipes --help`'],
  ] as const)('bad input %j: one line, exit 2', async (args, message) => {
    const result = await due(args.map((arg) => (arg === 'MANIFEST' ? manifest : arg)));
    expect(result.exitCode).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    if (typeof message === 'string') expect(lines[0]).toBe(`sqlmesh-pipes due: ${message}`);
    else expect(lines[0]).toMatch(message);
  });
});
