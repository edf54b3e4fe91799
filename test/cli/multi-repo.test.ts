import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON, sqlmeshCli } from '../sqlmesh/helpers/projects.js';

// The built CLI on a real multi-repo SQLMesh project (test/fixtures/e2e-projects/multi: repos
// `ingest` and `marts`, planned with `sqlmesh -p ingest -p marts`): --project repeats for run,
// manifest and schedule, and each path is checked on its own.
const CLI = resolve('dist', 'cli.js');
const MULTI = resolve('test', 'fixtures', 'e2e-projects', 'multi');

let scratch: string;
let workspace: string;
let ingest: string;
let marts: string;
let notAProject: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sqlmesh-pipes-multi-cli-'));
  workspace = join(scratch, 'workspace');
  await cp(MULTI, workspace, { recursive: true });
  [ingest, marts, notAProject] = ['ingest', 'marts', 'notes'].map((name) => join(workspace, name)) as [string, string, string];
  await mkdir(notAProject);
  // Where SQLMesh's multi-repo example runs it: the repos' common parent (the state lands there).
  await sqlmeshCli(workspace, ['-p', 'ingest', '-p', 'marts', 'plan', '--auto-apply', '--no-prompts', '--skip-backfill']);
}, 60_000);
afterAll(() => rm(scratch, { recursive: true, force: true }));

async function cli(args: string[], cwd?: string) {
  return execa(process.execPath, [CLI, ...args], { reject: false, cwd, env: { ...process.env, SQLMESH_PIPES_PYTHON: PYTHON } });
}

/** Every file below `dir`, relative, sorted (hidden ones included), but SQLMesh's own `.cache`. */
async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .filter((path) => !path.startsWith('.cache/'))
    .sort();
}

describe.concurrent('sqlmesh-pipes on a multi-repo project (built CLI, real SQLMesh)', () => {
  it('run: one `sqlmesh run` over both repos from any directory; the state is the one the plan wrote', async () => {
    const before = { ingest: await filesBelow(ingest), marts: await filesBelow(marts) };
    const messagesFile = join(scratch, 'messages.jsonl');
    // From an unrelated directory: SQLMesh still runs in the repos' common parent.
    const result = await cli(['run', '--project', ingest, '--project', marts, '--messages-file', messagesFile], scratch);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Run succeeded: 4 ok/);
    const messages = (await readFile(messagesFile, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { method: string; params: { asset_key?: string } });
    const materialized = messages.filter((m) => m.method === 'report_asset_materialization').map((m) => m.params.asset_key);
    expect(materialized.sort()).toEqual(['db/marts/daily_visits', 'db/marts/region_customers', 'db/raw/customers', 'db/raw/visits']);
    // No DuckDB file, log or anything else appeared inside a repo; none next to the caller either.
    expect({ ingest: await filesBelow(ingest), marts: await filesBelow(marts) }).toEqual(before);
    expect((await readdir(scratch)).sort()).toEqual(['messages.jsonl', 'workspace']);
  }, 60_000);

  it('manifest and schedule: every repo, in order', async () => {
    const manifest = await cli(['manifest', '--project', ingest, '--project', marts]);
    expect(manifest.exitCode, manifest.stderr).toBe(0);
    const parsed = JSON.parse(manifest.stdout) as { project_dirs: string[]; models: { name: string }[] };
    expect(parsed.project_dirs).toEqual([ingest, marts]);
    expect(parsed.models.map((m) => m.name)).toEqual(['marts.daily_visits', 'marts.region_customers', 'raw.customers', 'raw.visits']);
    const schedule = await cli(['schedule', '--project', ingest, '--project', marts]);
    expect([schedule.exitCode, JSON.parse(schedule.stdout).cron]).toEqual([0, '0 0 * * *']);
  }, 60_000);

  it.each(['run', 'manifest', 'schedule'])(
    '%s: a --project that is not a SQLMesh project is one line naming it, exit 2',
    async (command) => {
      const result = await cli([command, '--project', ingest, '--project', notAProject]);
      expect([result.exitCode, ...result.stderr.trim().split('\n')]).toEqual([
        2,
        `sqlmesh-pipes ${command}: no SQLMesh project in ${notAProject} (none of: config.py, config.yml, config.yaml, sqlmesh.yml, sqlmesh.yaml, dbt_project.yml) — pass --project the folder with the project's config`,
      ]);
    },
  );

  it.each(['run', 'manifest', 'schedule'])('%s: a missing or repeated --project is one line naming it, exit 2', async (command) => {
    const missing = join(workspace, 'gone');
    const absent = await cli([command, '--project', missing, '--project', marts]);
    expect(absent.exitCode).toBe(2);
    expect(absent.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^sqlmesh-pipes ${command}: .*${missing}`))]);
    const twice = await cli([command, '--project', ingest, '--project', `${ingest}/`]);
    expect([twice.exitCode, ...twice.stderr.trim().split('\n')]).toEqual([
      2,
      `sqlmesh-pipes ${command}: SQLMesh project ${ingest} is given twice — pass each --project once`,
    ]);
  });
});
