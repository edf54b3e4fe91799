import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { ConfigurationError } from '../errors.js';

// src/sqlmesh/python.ts and dist/sqlmesh/python.js sit at the same depth below the package root.
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Directory put on PYTHONPATH so the SQLMesh env can import `sqlmesh_pipes_console` without installing it. */
export const SHIM_PYTHONPATH = join(packageRoot, 'python_shim', 'src');

/** The python to run SQLMesh with: flag, then $SQLMESH_PIPES_PYTHON, then this package's .venv, then python3. */
export function resolveSqlmeshPython(flag?: string | null): string {
  if (flag) return flag;
  const fromEnv = process.env.SQLMESH_PIPES_PYTHON;
  if (fromEnv) return fromEnv;
  const venvPython = join(packageRoot, '.venv', 'bin', 'python');
  return existsSync(venvPython) ? venvPython : 'python3';
}

/**
 * The environment for a SQLMesh child process: the caller's env made deterministic.
 * Each variable is here because SQLMesh (or Rich under it) otherwise changes its output.
 */
export function sqlmeshEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const inherited = process.env.PYTHONPATH;
  return {
    ...process.env,
    // Our console/manifest shim, importable without an install step; the user's path kept after it.
    PYTHONPATH: inherited ? `${SHIM_PYTHONPATH}:${inherited}` : SHIM_PYTHONPATH,
    // Rich wraps piped output at 80 columns; wide lines keep one batch per line for the text parser.
    COLUMNS: '1000',
    // No ANSI colour codes in lines we parse.
    NO_COLOR: '1',
    TTY_COMPATIBLE: '0',
    FORCE_COLOR: undefined,
    // Offline machines: never try to send analytics.
    SQLMESH__DISABLE_ANONYMIZED_ANALYTICS: '1',
    // Python must not buffer our event lines or its own stdout.
    PYTHONUNBUFFERED: '1',
    PYTHONIOENCODING: 'utf-8',
    // Pipes variables belong to us, not to SQLMesh or anything it imports.
    DAGSTER_PIPES_CONTEXT: undefined,
    DAGSTER_PIPES_MESSAGES: undefined,
    ...extra,
  };
}

/** Check that `python` runs and imports sqlmesh; return SQLMesh's version or throw a ConfigurationError. */
export async function checkSqlmeshPython(python: string): Promise<string> {
  const probe = await execa(python, ['-c', 'import sqlmesh, sys; sys.stdout.write(sqlmesh.__version__)'], {
    env: sqlmeshEnv(),
    extendEnv: false,
    reject: false,
  });
  if (probe.failed && 'code' in probe && probe.code === 'ENOENT') {
    throw new ConfigurationError(`SQLMesh python not found: ${python} — pass --sqlmesh-python PATH to a python with sqlmesh installed`);
  }
  if (probe.exitCode !== 0) {
    const why = probe.stderr.includes('No module named') ? 'has no sqlmesh module' : `failed (exit ${probe.exitCode})`;
    throw new ConfigurationError(`${python} ${why} — pass --sqlmesh-python PATH to a python with sqlmesh installed`);
  }
  return probe.stdout.trim();
}
