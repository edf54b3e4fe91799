import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanScratch, END, PYTHON, plannedProject, scratchCopy } from '../sqlmesh/helpers/projects.js';

// sqlmesh-pipes used from outside this repository, as a user's Dagster project would: the npm
// tarball (`npm pack`) installed into another folder, its `sqlmesh-pipes` bin run from there.
// What it needs at run time (dist/, the Python console shim in python_shim/src) must be in the tarball.

let consumer: string;
let workdir: string;
beforeAll(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'sqlmesh-pipes-installed-'));
  // `npm test` has just built dist/: pack it as is (the prepack script would build again).
  const packed = await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', workdir, '--json'], { cwd: resolve('.') });
  const tarball = join(workdir, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
  consumer = join(workdir, 'my-dagster-project');
  await mkdir(consumer);
  await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'my-dagster-project', private: true }));
  await execa('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: consumer });
}, 180_000);
afterAll(async () => {
  await cleanScratch();
  await rm(workdir, { recursive: true, force: true });
});

const bin = () => join(consumer, 'node_modules', '.bin', 'sqlmesh-pipes');

describe('the npm package installed in another project', () => {
  it('runs a SQLMesh project with the SQLMesh python it is given', async () => {
    const project = await plannedProject();
    const result = await execa(bin(), ['run', '--project', project, '--start', '2024-01-03', '--end', END], {
      cwd: consumer,
      reject: false,
      env: { ...process.env, SQLMESH_PIPES_PYTHON: PYTHON },
    });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/Run succeeded: 4 ok/);
  }, 120_000);

  it('names the missing SQLMesh python in one line when none is given', async () => {
    const project = await plannedProject();
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: '/usr/bin:/bin' };
    delete env.SQLMESH_PIPES_PYTHON;
    const result = await execa(bin(), ['manifest', '--project', project], { cwd: consumer, reject: false, env });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/--sqlmesh-python/);
  }, 60_000);

  it('its python_shim installed (not editable) finds the installed executor and materializes', async () => {
    // `pip install node_modules/sqlmesh-pipes/python_shim` without the dependencies the repo's
    // .venv already has (dagster): the package lands in pylib, outside any checkout.
    const pylib = join(consumer, 'pylib');
    const shim = join(consumer, 'node_modules', 'sqlmesh-pipes', 'python_shim');
    await execa(PYTHON, ['-m', 'pip', 'install', '-q', '--no-deps', '--no-build-isolation', '--target', pylib, shim]);
    const project = await scratchCopy(resolve('test', 'fixtures', 'e2e-projects', 'shop'));
    await execa(
      PYTHON,
      ['-c', 'import sys; from sqlmesh.cli.main import cli; sys.exit(cli())', 'plan', '--auto-apply', '--no-prompts', '--skip-backfill'],
      {
        cwd: project,
      },
    );
    const program = [
      'import sys',
      `sys.path.insert(0, ${JSON.stringify(pylib)})`,
      'import sqlmesh_pipes, dagster',
      `assert sqlmesh_pipes.__file__.startswith(${JSON.stringify(pylib)}), sqlmesh_pipes.__file__`,
      `defs = sqlmesh_pipes.sqlmesh_definitions_factory(project_dir=${JSON.stringify(project)}, sqlmesh_python=${JSON.stringify(PYTHON)})`,
      'result = defs.resolve_job_def("sqlmesh_job").execute_in_process(instance=dagster.DagsterInstance.ephemeral())',
      'print(result.success, len(result.get_asset_materialization_events()))',
      'print(defs.resources["sqlmesh"].resolved_executor_path)',
    ].join('\n');
    const result = await execa(PYTHON, ['-c', program], {
      cwd: consumer,
      reject: false,
      env: { ...process.env, SQLMESH_PIPES_EXECUTOR: '' },
    });
    expect(result.stderr).not.toMatch(/Traceback/);
    const [outcome, executor] = result.stdout.trim().split('\n').slice(-2);
    expect(outcome).toBe('True 4');
    expect(executor).toBe(join(consumer, 'node_modules', 'sqlmesh-pipes', 'dist', 'cli.js'));
  }, 180_000);
});
