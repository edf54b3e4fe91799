#!/usr/bin/env node
// Screenshots of the demo's asset pages as a user sees them in the Dagster UI (not part of CI:
// it needs a headless Chromium, e.g. `apt-get install chromium`, and a prior `npm run demo`).
//
//   node scripts/screenshot-asset-page.mjs [OUT_DIR]      (default: examples/.work/screenshots)
//
// Starts `dagster dev` on the demo's persistent instance (127.0.0.1, a free port), waits until the
// code location has loaded, saves one PNG per asset page below, and stops the server.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(process.argv[2] ?? join(root, 'examples', '.work', 'screenshots'));
const dagsterHome = join(root, 'examples', '.work', 'dagster_home');
const PAGES = {
  'sql-model': 'assets/shop/analytics/daily_revenue',
  'python-model': 'assets/shop/analytics/customer_segments',
  'external-model': 'assets/shop/landing/orders',
  events: 'assets/shop/analytics/daily_revenue?view=events',
};

function fail(message) {
  process.stderr.write(`screenshot: ${message}\n`);
  process.exit(2);
}

const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((cmd) => spawnSync(cmd, ['--version']).status === 0);
if (!chromium) fail('no headless Chromium found — install one (Debian: apt-get install chromium)');
if (!existsSync(join(dagsterHome, 'dagster.yaml'))) fail(`no demo instance in ${dagsterHome} — run \`npm run demo\` first`);

const port = await new Promise((done) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = server.address();
    server.close(() => done(free));
  });
});
const base = `http://127.0.0.1:${port}`;
const dagster = spawn(
  join(root, '.venv', 'bin', 'dagster'),
  ['dev', '-f', join(root, 'examples', 'dagster_demo', 'definitions.py'), '-h', '127.0.0.1', '-p', String(port)],
  { cwd: root, env: { ...process.env, DAGSTER_HOME: dagsterHome }, stdio: ['ignore', 'ignore', 'pipe'], detached: true },
);
const stop = () => {
  try {
    process.kill(-dagster.pid, 'SIGINT');
  } catch {}
};
process.on('exit', stop);

/** Wait until the webserver answers and the code location has loaded (GraphQL says LOADED). */
async function waitForLocation(deadline) {
  const query = '{ workspaceOrError { ... on Workspace { locationEntries { loadStatus } } } }';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      const entries = (await response.json()).data?.workspaceOrError?.locationEntries ?? [];
      if (entries.length > 0 && entries.every((entry) => entry.loadStatus === 'LOADED')) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 1000));
  }
  fail(`dagster dev did not load the demo's code location at ${base} within 120 s`);
}

await waitForLocation(Date.now() + 120_000);
// The first visit of an instance opens Dagster's "Join the community" dialog over the page.
await fetch(`${base}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ query: 'mutation { setNuxSeen }' }),
});
mkdirSync(outDir, { recursive: true });
for (const [name, path] of Object.entries(PAGES)) {
  const file = join(outDir, `${name}.png`);
  const shot = spawnSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--hide-scrollbars',
      '--window-size=1600,1200',
      '--virtual-time-budget=20000',
      `--screenshot=${file}`,
      `${base}/${path}`,
    ],
    { encoding: 'utf8' },
  );
  if (shot.status !== 0) fail(`chromium could not capture ${base}/${path}: ${shot.stderr.trim().split('\n').at(-1)}`);
  process.stdout.write(`${file}  ${base}/${path}\n`);
}
stop();
