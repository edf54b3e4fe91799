import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunFlags, resolveRunSettings } from '../../src/commands/run-settings.js';
import { EXTRAS_VERSION, type RunExtras } from '../../src/contracts/run-extras.js';
import { ConfigurationError, UsageError } from '../../src/errors.js';
import { sqlmeshCommand } from '../../src/sqlmesh/command.js';
import { normalizeRunOptions } from '../../src/sqlmesh/options.js';
import { runSqlmesh } from '../../src/sqlmesh/process.js';
import { checkProjectDirs, resolveProjects, workingDirectory } from '../../src/sqlmesh/projects.js';
import { collect } from '../sqlmesh/helpers/events.js';
import { fakeProcess, fakeSpawn } from '../sqlmesh/helpers/fake-process.js';

// A multi-repo SQLMesh project (`sqlmesh -p repo_1 -p repo_2`): --project repeats, in order, and
// SQLMesh runs in the repos' common parent (relative paths in their configs resolve there).

const flags = (overrides: Partial<RunFlags> = {}): RunFlags => ({ argv: [], projects: [], selectModels: [], ...overrides });
const extras = (overrides: Partial<RunExtras>): RunExtras => ({ version: EXTRAS_VERSION, models: {}, checks: [], ...overrides });

let workspace: string;
let repo1: string;
let repo2: string;
let notAProject: string;
beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'sqlmesh-pipes-multi-'));
  repo1 = join(workspace, 'repo_1');
  repo2 = join(workspace, 'repo_2');
  notAProject = join(workspace, 'docs');
  for (const dir of [repo1, repo2, notAProject]) await mkdir(dir);
  await writeFile(join(repo1, 'config.yaml'), 'project: repo_1\n');
  await writeFile(join(repo2, 'config.py'), 'config = None\n');
});
afterAll(() => rm(workspace, { recursive: true, force: true }));

describe('run settings: repeated --project', () => {
  it('keeps every --project, absolute, in the order given', () => {
    const settings = resolveRunSettings(flags({ projects: ['repo_2', '/abs/repo_1'] }), null);
    expect(settings.projects).toEqual([join(process.cwd(), 'repo_2'), '/abs/repo_1']);
  });

  it('one --project is a list of one', () => {
    expect(resolveRunSettings(flags({ projects: ['/p'] }), null).projects).toEqual(['/p']);
  });

  it('under Dagster, the extras win: project_dirs (multi-repo) or project_dir (one project)', () => {
    const both = resolveRunSettings(flags({ projects: ['/flag'] }), extras({ project_dirs: ['/a', '/b'], project_dir: '/ignored' }));
    expect(both.projects).toEqual(['/a', '/b']);
    expect(resolveRunSettings(flags({ projects: ['/flag'] }), extras({ project_dir: '/one' })).projects).toEqual(['/one']);
    expect(resolveRunSettings(flags({ projects: ['/f1', '/f2'] }), extras({})).projects).toEqual(['/f1', '/f2']);
  });

  it('no project at all is a usage error naming the flag', () => {
    expect(() => resolveRunSettings(flags(), null)).toThrow(UsageError);
    expect(() => resolveRunSettings(flags(), null)).toThrow(/run needs --project DIR .*repeat it for a multi-repo project/);
    expect(() => resolveRunSettings(flags(), extras({ project_dirs: [] }))).toThrow(UsageError);
  });
});

describe('the SQLMesh command of a multi-repo project', () => {
  it('JSON console: --project per repo, in order; runs in their common parent', () => {
    const command = sqlmeshCommand(normalizeRunOptions({ project: [repo1, repo2], python: '/py', environment: 'prod' }));
    expect(command.args.slice(0, 7)).toEqual(['-m', 'sqlmesh_pipes_console', 'run', '--project', repo1, '--project', repo2]);
    expect(command.cwd).toBe(workspace);
  });

  it("text console: SQLMesh's own `-p/--paths` per repo, in order; same working directory", () => {
    const command = sqlmeshCommand(normalizeRunOptions({ project: [repo2, repo1], python: '/py', console: 'text' }));
    expect(command.args.slice(2, 7)).toEqual(['--paths', repo2, '--paths', repo1, 'run']);
    expect(command.cwd).toBe(workspace);
  });

  it('one project runs in the project itself, as before', () => {
    for (const project of [repo1, [repo1]]) {
      const command = sqlmeshCommand(normalizeRunOptions({ project, python: '/py' }));
      expect([command.args.filter((arg) => arg === '--project').length, command.cwd]).toEqual([1, repo1]);
    }
  });

  it('an environment that is not found names every repo and where to plan from', async () => {
    const child = fakeProcess();
    const invocation = await runSqlmesh(
      { project: [repo1, repo2], python: '/py' },
      { spawn: fakeSpawn(child), checkPython: async () => '0.236.4' },
    );
    child.event({ type: 'run_finished', status: 'error', message: "Environment 'prod' was not found.", error_class: 'SQLMeshError' });
    child.finish({ exitCode: 1 });
    const { error } = await collect(invocation);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(
      `SQLMesh environment 'prod' was not found — apply a plan to it first (from ${workspace}: sqlmesh -p repo_1 -p repo_2 plan prod), or pass the name of an existing environment (--environment)`,
    );
  });
});

describe('project paths', () => {
  it('a repeated project is an error naming it (SQLMesh would load it once)', () => {
    expect(() => resolveProjects([repo1, `${repo1}/`])).toThrow(`SQLMesh project ${repo1} is given twice — pass each --project once`);
    expect(() => resolveProjects([])).toThrow(ConfigurationError);
    expect(() => resolveProjects(['/a', ''])).toThrow(/project must be a directory path, got ""/);
  });

  it.each([
    [['/w/repo_1'], '/w/repo_1'],
    [['/w/repo_1', '/w/repo_2'], '/w'],
    [['/w/a/repo_1', '/w/b/c/repo_2', '/w/a/x'], '/w'],
    [['/w/repo_1', '/w/repo_1/nested'], '/w/repo_1'],
    [['/w/repo', '/w/repo_2'], '/w'],
    [['/a/repo', '/b/repo'], '/'],
  ])('the working directory of %j is %s', (projects, expected) => {
    expect(workingDirectory(projects)).toBe(expected);
  });

  it('every path must be a SQLMesh project; the error names the one that is not', () => {
    expect(() => checkProjectDirs([repo1, repo2])).not.toThrow();
    expect(() => checkProjectDirs([repo1, notAProject])).toThrow(
      `no SQLMesh project in ${notAProject} (none of: config.py, config.yml, config.yaml, sqlmesh.yml, sqlmesh.yaml, dbt_project.yml) — pass --project the folder with the project's config`,
    );
    const missing = join(workspace, 'gone');
    expect(() => checkProjectDirs([repo1, missing])).toThrow(
      `SQLMesh project directory not found: ${missing} — pass --project the SQLMesh project's folder`,
    );
  });
});
