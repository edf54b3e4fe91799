import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { CLI_BOOTSTRAP } from '../../../src/sqlmesh/command.js';
import { resolveSqlmeshPython, sqlmeshEnv } from '../../../src/sqlmesh/python.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The real SQLMesh python of this repo (.venv), as the runner resolves it. */
export const PYTHON = resolveSqlmeshPython();
/** The scenario project: see test/fixtures/projects/basic/config.yaml. */
export const BASIC = join(root, 'test', 'fixtures', 'projects', 'basic');
/** Every scenario is planned at this time and run up to END (deterministic intervals). */
export const PLAN_EXECUTION_TIME = '2024-01-03';
export const END = '2024-01-06';

/** Run the real `sqlmesh` CLI in `cwd`. */
export async function sqlmeshCli(cwd: string, args: string[]) {
  return execa(PYTHON, ['-c', CLI_BOOTSTRAP, ...args], { cwd, env: sqlmeshEnv(), extendEnv: false });
}

const scratchDirs: string[] = [];

/** A scratch copy of `project` in a fresh tmp dir (parallel-safe). */
export async function scratchCopy(project: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sqlmesh-pipes-test-'));
  scratchDirs.push(dir);
  const copy = join(dir, 'project');
  await cp(project, copy, { recursive: true });
  return copy;
}

/** A scratch copy of the basic project with `plan --auto-apply` applied at PLAN_EXECUTION_TIME. */
export async function plannedProject(project: string = BASIC): Promise<string> {
  const copy = await scratchCopy(project);
  await sqlmeshCli(copy, ['plan', '--auto-apply', '--no-prompts', '--execution-time', PLAN_EXECUTION_TIME]);
  return copy;
}

/** Data files the models read at run time; writing them changes outcomes without a new plan. */
export const AMOUNTS = {
  ok: 'id,amount\n1,10\n2,20\n3,30\n',
  /** `demo.amounts` fails with DuckDB's ConversionException. */
  sqlError: 'id,amount\n1,10\n2,abc\n',
  /** The blocking `not_null` audit fails (1 row). */
  blockingAudit: 'id,amount\n1,10\n,20\n',
  /** The non-blocking `accepted_range` audit fails (2 rows). */
  nonBlockingAudit: 'id,amount\n1,10\n2,-5\n3,-7\n',
} as const;

/** A copy of a planned project with `amounts` as its data. */
export async function scenario(planned: string, amounts: string = AMOUNTS.ok): Promise<string> {
  const copy = await scratchCopy(planned);
  await writeFile(join(copy, 'data', 'amounts.csv'), amounts);
  return copy;
}

/** Remove every scratch dir made by this test file. */
export async function cleanScratch(): Promise<void> {
  await Promise.all(scratchDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}
