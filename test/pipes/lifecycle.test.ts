// Process-level exit paths, on real Node processes running the compiled dist/pipes.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { line } from './helpers.js';

const root = resolve(import.meta.dirname, '../..');
const program = join(root, 'test/fixtures/pipes/lifecycle.mjs');

const newest = (dir: string, ext: string): number =>
  Math.max(
    0,
    ...readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith(ext))
      .map((f) => statSync(join(dir, f)).mtimeMs),
  );

beforeAll(() => {
  // `npm test` builds first; this keeps `vitest run test/pipes` honest when dist/ is stale.
  const dist = join(root, 'dist/pipes');
  const stale = () => {
    try {
      return newest(dist, '.js') < newest(join(root, 'src/pipes'), '.ts');
    } catch {
      return true;
    }
  };
  if (stale()) spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'ignore' });
  if (stale()) throw new Error('dist/pipes is stale and `npm run build` did not refresh it');
});

function messagesFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'pipes-life-')), 'messages.jsonl');
}

function run(mode: string, file: string) {
  return spawnSync(process.execPath, [program, mode, file], { encoding: 'utf8' });
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').slice(0, -1);
const OPENED = line('opened', '{"extras": {}}');
const log = (message: string, level = 'INFO') => line('log', `{"message": "${message}", "level": "${level}"}`);

describe('closed on every exit path (mock context, messages file)', () => {
  it('natural end without close: closed {} from the exit hook, exit 0', () => {
    const file = messagesFile();
    const result = run('end', file);
    expect(result.status).toBe(0);
    expect(lines(file)).toEqual([
      OPENED,
      log('mode end'),
      line('report_asset_materialization', '{"asset_key": "b", "data_version": null, "metadata": null}'),
      line('closed', '{}'),
    ]);
    expect(result.stderr).toBe('[pipes] opened\n[INFO] mode end\nmaterialized b\n[pipes] closed\n');
  });

  it('process.exit(3): closed with an exception naming the code', () => {
    const file = messagesFile();
    expect(run('exit', file).status).toBe(3);
    const closed = JSON.parse(lines(file).at(-1)!);
    expect(closed.params.exception).toMatchObject({
      name: 'PipesError',
      message: 'process exited with code 3 before Dagster Pipes was closed',
    });
  });

  it('uncaught error: closed carries it, exit 1', () => {
    const file = messagesFile();
    expect(run('uncaught', file).status).toBe(1);
    const closed = JSON.parse(lines(file).at(-1)!);
    expect(closed.params.exception).toMatchObject({ name: 'Error', message: 'boom', cause: null, context: null });
    expect(closed.params.exception.stack[0]).toMatch(/^ {2}at .*lifecycle\.mjs/);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s: aborts, stops the child, runs cleanup (which may report), then closed; exit %i', async (signal, code) => {
    const file = messagesFile();
    const child = spawn(process.execPath, [program, 'signal', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.kill(signal);
    const status = await new Promise((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
    expect(status).toBe(code);
    const childExit = signal === 'SIGINT' ? '0' : 'null'; // the grandchild only handles SIGINT
    expect(lines(file)).toEqual([
      OPENED,
      log('mode signal'),
      log(`aborted: interrupted by ${signal}`, 'WARNING'),
      line(
        'report_asset_materialization',
        `{"asset_key": "a", "data_version": null, "metadata": {"child_exit": {"raw_value": ${childExit}, "type": "__infer__"}, "signal": {"raw_value": "${signal}", "type": "__infer__"}}}`,
      ),
      expect.stringMatching(
        new RegExp(
          `^\\{"__dagster_pipes_version": "0.1", "method": "closed", "params": \\{"exception": \\{"message": "interrupted by ${signal}", "stack": \\[.*\\], "name": "PipesInterruptedError", "cause": null, "context": null\\}\\}\\}$`,
        ),
      ),
    ]);
  });
});
