#!/usr/bin/env node
// A throwaway PostgreSQL server for tests and benchmarks: installed from Debian's packages when
// missing, a fresh cluster in a temp dir owned by an unprivileged user, listening on 127.0.0.1
// only (and a Unix socket inside that dir), stopped and removed by `stop`.
//
//   node scripts/postgres.mjs start            → one JSON line: {"host","port","user","dir","url"}
//   node scripts/postgres.mjs stop --dir DIR   → stops the server and removes DIR
//
// Idempotent: installing is skipped when PostgreSQL is there; `stop` of a stopped or removed
// cluster is a no-op. Each failure is one line on stderr naming the fix, exit 2.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const USER = 'postgres';
const DEBIAN_PACKAGE = 'postgresql';

function fail(message) {
  process.stderr.write(`postgres: ${message}\n`);
  process.exit(2);
}

/** The directory holding initdb and pg_ctl: on PATH, else Debian's /usr/lib/postgresql/<version>/bin. */
function binDir() {
  const onPath = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath.replace(/\/pg_ctl$/, '');
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(root, versions[0], 'bin') : null;
}

/** PostgreSQL's binaries, installed with apt-get first when missing (root only). */
function ensureInstalled() {
  const found = binDir();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    fail(`PostgreSQL is not installed and only root can install it — run \`apt-get install -y ${DEBIAN_PACKAGE}\` as root`);
  }
  process.stderr.write(`postgres: installing ${DEBIAN_PACKAGE} from Debian's packages…\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', DEBIAN_PACKAGE],
  ]) {
    const result = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status !== 0) fail(`\`apt-get ${args.join(' ')}\` failed — check access to the Debian mirrors, then retry`);
  }
  // The package starts a system cluster on port 5432; ours are throwaway ones: leave it alone.
  return binDir() ?? fail(`${DEBIAN_PACKAGE} is installed but pg_ctl was not found under /usr/lib/postgresql`);
}

/** Run a PostgreSQL binary as the unprivileged user (initdb refuses root). */
function asUser(file, args) {
  const [command, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', USER, '--', file, ...args]] : [file, args];
  const result = spawnSync(command, argv, { encoding: 'utf8' });
  if (result.status !== 0) fail(`${file.split('/').pop()} failed: ${(result.stderr || result.stdout).trim().split('\n').pop()}`);
  return result.stdout;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function start() {
  const bin = ensureInstalled();
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', USER]).status !== 0) {
    fail(`the unprivileged user ${USER} is missing — reinstall the ${DEBIAN_PACKAGE} package, which creates it`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'sqlmesh-pipes-pg-'));
  chmodSync(dir, 0o755);
  if (process.getuid?.() === 0) execFileSync('chown', [USER, dir]);
  const data = join(dir, 'data');
  asUser(join(bin, 'initdb'), ['-D', data, '-U', USER, '-A', 'trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
  const port = await freePort();
  // Throwaway data: no durability settings, loopback only, the socket inside the cluster's dir.
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  asUser(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
  const url = `postgresql://${USER}@127.0.0.1:${port}/postgres`;
  process.stdout.write(`${JSON.stringify({ host: '127.0.0.1', port, user: USER, dir, url })}\n`);
}

function stop(dir) {
  if (!dir) fail('stop needs --dir DIR (the "dir" that start printed)');
  const data = join(dir, 'data');
  const bin = binDir();
  if (bin && existsSync(join(data, 'postmaster.pid'))) asUser(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
  rmSync(dir, { recursive: true, force: true });
}

const { values, positionals } = parseArgs({ options: { dir: { type: 'string' } }, allowPositionals: true });
const command = positionals[0];
if (command === 'start') await start();
else if (command === 'stop') stop(values.dir);
else fail('use `start` or `stop --dir DIR`');
