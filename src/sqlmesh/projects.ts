import { statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { ConfigurationError } from '../errors.js';

/*
 * One SQLMesh project, or several loaded together (a multi-repo project: `sqlmesh -p repo_1 -p
 * repo_2`). SQLMesh takes the connection and the state from the FIRST project's config, and
 * resolves every relative path in the configs (a DuckDB `database: db.duckdb`) against its
 * working directory. So the working directory is a choice with consequences: for one project it
 * is the project (`cd project && sqlmesh run`, as before); for several it is their common parent
 * directory, the folder `sqlmesh -p repo_1 -p repo_2` is run from in SQLMesh's multi-repo example.
 * Running a multi-repo project inside one of its repos would create a fresh, empty DuckDB file
 * there and fail with "Environment 'prod' was not found".
 */

/** Project directory or directories, as flags and options accept them. */
export type ProjectPaths = string | readonly string[];

/** The project directories as absolute paths, in the given order; a ConfigurationError for none, an empty one or a repeat. */
export function resolveProjects(paths: unknown): readonly string[] {
  const list = typeof paths === 'string' ? [paths] : Array.isArray(paths) ? (paths as unknown[]) : null;
  if (list === null || list.length === 0) {
    throw new ConfigurationError(`project must be a directory path or a list of them, got ${JSON.stringify(paths)}`);
  }
  const resolved: string[] = [];
  for (const path of list) {
    if (typeof path !== 'string' || path.trim() === '') {
      throw new ConfigurationError(`project must be a directory path, got ${JSON.stringify(path)} (${typeof path})`);
    }
    const absolute = resolve(path);
    if (resolved.includes(absolute)) throw new ConfigurationError(`SQLMesh project ${absolute} is given twice — pass each --project once`);
    resolved.push(absolute);
  }
  return resolved;
}

/**
 * Files that make a directory a SQLMesh project: SQLMesh's own list (sqlmesh.core.config.common.
 * ALL_CONFIG_FILENAMES in 0.236) and a dbt project, which SQLMesh loads too. The SQLMesh-side check
 * (sqlmesh_pipes_console.common.check_project) reads SQLMesh's list itself and words it the same.
 */
export const PROJECT_CONFIG_FILES = ['config.py', 'config.yml', 'config.yaml', 'sqlmesh.yml', 'sqlmesh.yaml', 'dbt_project.yml'] as const;

/**
 * Check that every project is a directory with a SQLMesh (or dbt) config, before anything is
 * spawned; the one-line error names the first that is not and the fix.
 */
export function checkProjectDirs(projects: readonly string[]): void {
  for (const dir of projects) {
    if (!isDirectory(dir)) {
      throw new ConfigurationError(`SQLMesh project directory not found: ${dir} — pass --project the SQLMesh project's folder`);
    }
    if (!PROJECT_CONFIG_FILES.some((name) => exists(join(dir, name)))) {
      throw new ConfigurationError(
        `no SQLMesh project in ${dir} (none of: ${PROJECT_CONFIG_FILES.join(', ')}) — pass --project the folder with the project's config`,
      );
    }
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where SQLMesh runs: the project itself, or the deepest directory containing every project
 * (relative paths in the configs resolve against it, as for `sqlmesh -p a -p b` run from there).
 */
export function workingDirectory(projects: readonly string[]): string {
  const [first, ...rest] = projects.map((path) => resolve(path));
  if (first === undefined) throw new ConfigurationError('no SQLMesh project given');
  let common = first;
  for (const path of rest) {
    while (!isWithin(path, common)) common = dirname(common);
  }
  return common;
}

function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}
