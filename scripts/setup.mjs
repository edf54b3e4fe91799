#!/usr/bin/env node
import { spawn, spawnSync } from 'node:child_process';
// Idempotent project set-up used by `npm test` and `npm run demo`:
//   1. node_modules via `npm ci` when package-lock.json changed since the last install;
//   2. .venv with the pinned Python packages (requirements.lock) and python_shim editable,
//      rebuilt when the pins or python_shim/pyproject.toml change;
//   3. with --with-dbt (`npm test`): .venv-dbt, SQLMesh with its dbt loader (requirements-dbt.lock),
//      an env of its own as users run SQLMesh apart from Dagster (dbt's pins clash with Dagster's).
// Each step stamps a content hash, so a second run is a no-op well under a second.
// Only Node built-ins here: this runs before node_modules exists.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MIN_PYTHON = [3, 10];

/** Print one clear line and exit 2 (configuration error). */
function fail(message) {
  process.stderr.write(`setup: ${message}\n`);
  process.exit(2);
}

function hashFiles(...files) {
  const hash = createHash('sha256');
  for (const file of files) hash.update(readFileSync(join(root, file)));
  return hash.digest('hex');
}

function readStamp(path) {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : '';
}

/** Run a command with inherited output; return its exit status. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) return { status: -1, error: result.error };
  return { status: result.status ?? -1 };
}

function ensureNodeModules() {
  const stampPath = join(root, 'node_modules', '.sqlmesh-pipes-stamp');
  const wanted = hashFiles('package-lock.json');
  if (readStamp(stampPath) === wanted) return;
  process.stderr.write('setup: installing node_modules (npm ci)…\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const { status } = run(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error']);
  if (status !== 0) fail('`npm ci` failed (see above); check network access to the npm registry and package-lock.json');
  writeFileSync(stampPath, `${wanted}\n`);
}

function findPython() {
  const candidates = [process.env.SQLMESH_PIPES_BOOTSTRAP_PYTHON, 'python3', 'python'].filter(Boolean);
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
      encoding: 'utf8',
    });
    if (probe.status !== 0 || probe.error) continue;
    const [major, minor] = probe.stdout.trim().split('.').map(Number);
    if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
      fail(
        `${candidate} is Python ${major}.${minor}; need >= ${MIN_PYTHON.join('.')} — install a newer python3 or set SQLMESH_PIPES_BOOTSTRAP_PYTHON`,
      );
    }
    return candidate;
  }
  return fail('python3 not found on PATH — install Python >= 3.10 or set SQLMESH_PIPES_BOOTSTRAP_PYTHON to its path');
}

/**
 * `pip install -r lock`, its progress shown as one line per stage (the long step of a first run:
 * ~150 packages, 1–3 min): pip's own output is kept for the error case only.
 */
function pipInstallLock(venvPython, lock) {
  const total = readFileSync(join(root, lock), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Za-z0-9]/.test(line)).length;
  const started = Date.now();
  const seconds = () => `${Math.round((Date.now() - started) / 1000)} s`;
  const output = [];
  let collected = 0;
  let shown = 0;
  return new Promise((done) => {
    const child = spawn(venvPython, ['-m', 'pip', '--disable-pip-version-check', 'install', '--progress-bar', 'off', '-r', lock], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onLine = (line) => {
      output.push(line);
      if (line.startsWith('Collecting ')) {
        collected += 1;
        // Every 25 packages: a steady pulse in CI logs, no carriage-return tricks.
        if (collected - shown >= 25 || collected === total) {
          shown = collected;
          process.stderr.write(`setup:   downloaded ${collected}/${total} packages (${seconds()})\n`);
        }
      } else if (line.startsWith('Installing collected packages')) {
        process.stderr.write(`setup:   installing ${total} packages (${seconds()})…\n`);
      }
    };
    let pending = '';
    const feed = (chunk) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    };
    child.stdout.setEncoding('utf8').on('data', feed);
    child.stderr.setEncoding('utf8').on('data', (chunk) => output.push(chunk));
    child.on('error', () => done(false));
    child.on('close', (code) => {
      if (code !== 0) process.stderr.write(`${output.slice(-40).join('\n')}\n`);
      else process.stderr.write(`setup:   ${total} packages installed in ${seconds()}\n`);
      done(code === 0);
    });
  });
}

/** Build `dir` from the pinned `lock` (plus python_shim, editable, when `shim`), unless its stamp matches. */
async function ensureVenv(dir, lock, { shim }) {
  const venv = join(root, dir);
  const stampPath = join(venv, '.sqlmesh-pipes-stamp');
  const wanted = hashFiles(lock, ...(shim ? ['python_shim/pyproject.toml'] : []));
  if (readStamp(stampPath) === wanted) return;

  const python = findPython();
  const venvPython = join(venv, 'bin', 'python');
  if (existsSync(venv)) rmSync(venv, { recursive: true, force: true });
  process.stderr.write(`setup: creating ${dir} with ${python} and the pinned packages (${lock})…\n`);
  if (run(python, ['-m', 'venv', venv]).status !== 0) {
    fail(`\`${python} -m venv ${dir}\` failed — install the venv module (Debian: apt-get install python3-venv)`);
  }
  const pip = (args) => run(venvPython, ['-m', 'pip', '--disable-pip-version-check', ...args]);
  if (!(await pipInstallLock(venvPython, lock))) {
    rmSync(venv, { recursive: true, force: true });
    fail(`pip could not install ${lock} (see above) — check access to PyPI, then re-run`);
  }
  if (shim && pip(['install', '--quiet', '--no-deps', '--no-build-isolation', '-e', 'python_shim']).status !== 0) {
    rmSync(venv, { recursive: true, force: true });
    fail('pip could not install python_shim in editable mode (see above)');
  }
  mkdirSync(venv, { recursive: true });
  writeFileSync(stampPath, `${wanted}\n`);
}

ensureNodeModules();
await ensureVenv('.venv', 'requirements.lock', { shim: true });
if (process.argv.includes('--with-dbt')) await ensureVenv('.venv-dbt', 'requirements-dbt.lock', { shim: false });
