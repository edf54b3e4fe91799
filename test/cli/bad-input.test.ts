import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeParam } from '../../src/pipes/params.js';
import { BASIC, cleanScratch, END, PYTHON, plannedProject, scratchCopy } from '../sqlmesh/helpers/projects.js';

// Bad input to the built CLI: one line naming the problem and the fix, exit 2, `closed` with the
// exception wherever a message channel exists; nothing hangs, and memory stays bounded.
const CLI = resolve('dist', 'cli.js');
const NOISY = resolve('test', 'fixtures', 'projects', 'noisy');

async function cli(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, [CLI, ...args], { reject: false, env: { ...process.env, SQLMESH_PIPES_PYTHON: PYTHON, ...env } });
}

const oneLine = (stderr: string) => stderr.trim().split('\n');

let noisy: string;
beforeAll(async () => {
  noisy = await plannedProject(NOISY);
});
afterAll(cleanScratch);

describe.concurrent('sqlmesh-pipes run: bad input is one line, exit 2', () => {
  it.each([
    [
      ['--messages-file', '/nonexistent/dir/m.jsonl'],
      'cannot write the messages file /nonexistent/dir/m.jsonl: its directory does not exist — pass --messages-file a file path in an existing directory',
    ],
    [
      ['--messages-file', '/tmp'],
      'cannot write the messages file /tmp: it is a directory — pass --messages-file a file path in an existing directory',
    ],
    [
      ['--execution-time', '1'],
      "--execution-time must be an ISO-8601 date or time (2024-01-31, 2024-01-31T06:00:00Z) or a relative time SQLMesh understands ('now', 'yesterday', '3 days ago'), got \"1\" (SQLMesh would read a bare number as epoch milliseconds)",
    ],
    [
      ['--start', '2024-02-30', '--end', '2024-03-01'],
      "--start must be an ISO-8601 date or time (2024-01-31, 2024-01-31T06:00:00Z) or a relative time SQLMesh understands ('now', 'yesterday', '3 days ago'), got \"2024-02-30\"",
    ],
    [['--start', '2024-03-02', '--end', '2024-03-01'], '--start "2024-03-02" is after --end "2024-03-01" — swap them or fix the window'],
    [
      ['--gateway', 'nope'],
      "gateway 'nope' is not in the project's config (gateways: local, other) — pass one of them as --gateway, or add it to the config",
    ],
  ])('%j', async (args, message) => {
    const result = await cli(['run', '--project', await scratchCopy(BASIC), ...args]);
    expect(result.exitCode).toBe(2);
    expect(oneLine(result.stderr)).toEqual([`sqlmesh-pipes run: ${message}`]);
  });

  it('a missing project names the fix', async () => {
    const result = await cli(['run', '--project', '/nonexistent/project']);
    expect([result.exitCode, ...oneLine(result.stderr)]).toEqual([
      2,
      "sqlmesh-pipes run: SQLMesh project directory not found: /nonexistent/project — pass --project the SQLMesh project's folder",
    ]);
  });

  it('relative times SQLMesh itself reads keep working', async () => {
    const project = await plannedProject();
    const result = await cli(['run', '--project', project, '--start', '3 days ago', '--end', 'now', '--execution-time', 'now']);
    expect(result.exitCode, result.stderr).toBe(0);
  });

  it.each([
    ['DAGSTER_PIPES_CONTEXT', { DAGSTER_PIPES_CONTEXT: 'not base64 zlib', DAGSTER_PIPES_MESSAGES: encodeParam({ stdio: 'stderr' }) }],
    ['DAGSTER_PIPES_MESSAGES', { DAGSTER_PIPES_CONTEXT: encodeParam({ data: {} }), DAGSTER_PIPES_MESSAGES: '###' }],
  ])('a malformed %s: one line naming it, exit 2', async (name, env) => {
    const result = await cli(['run', '--project', BASIC], env);
    expect(result.exitCode).toBe(2);
    const lines = oneLine(result.stderr).filter((line) => line.startsWith('sqlmesh-pipes'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^sqlmesh-pipes run: cannot start the Dagster Pipes session: .*${name}.* — launch sqlmesh-pipes from Dagster`),
    );
  });

  it('a malformed context with a working message channel: `closed` carries the exception', async () => {
    const project = await scratchCopy(BASIC);
    const messages = join(project, 'messages.jsonl');
    const result = await cli(['run', '--project', project], {
      DAGSTER_PIPES_CONTEXT: encodeParam({ data: { run_id: 7 } }),
      DAGSTER_PIPES_MESSAGES: encodeParam({ path: messages }),
    });
    expect(result.exitCode).toBe(2);
    const sent = (await readFile(messages, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { method: string; params: { exception?: { name: string } } });
    expect(sent.map((m) => m.method)).toEqual(['opened', 'closed']);
    expect(sent[1]?.params.exception?.name).toBe('PipesError');
  });
});

describe('sqlmesh-pipes run: misbehaving models (real SQLMesh)', () => {
  it('a 10 MB output line is forwarded cut, saying how much was cut', async () => {
    const project = await scratchCopy(noisy);
    const messagesFile = join(project, 'messages.jsonl');
    const result = await cli([
      'run',
      '--project',
      project,
      '--start',
      '2024-01-01',
      '--end',
      END,
      '--select-model',
      'noisy.big',
      '--messages-file',
      messagesFile,
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    const logs = (await readFile(messagesFile, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { method: string; params: { message?: string } })
      .filter((m) => m.method === 'log')
      .map((m) => m.params.message ?? '');
    // Log lines logged together reach Pipes as one message, a line each.
    const big = logs.flatMap((message) => message.split('\n')).filter((line) => line.startsWith('xxxx'));
    expect(big).toHaveLength(1);
    expect(big[0]!.length).toBeLessThan(17 * 1024);
    expect(big[0]).toMatch(/^x{16384} … \[10469376 bytes cut: line longer than 16384 bytes\]$/);
    expect(Math.max(...logs.map((message) => message.length))).toBeLessThan(70 * 1024);
  });

  it('a background process holding SQLMesh output open does not keep the run waiting', async () => {
    const project = await scratchCopy(noisy);
    const sleeper = '7777.25'; // an unusual duration names the background process
    try {
      const result = await cli(['run', '--project', project, '--start', '2024-01-01', '--end', END, '--select-model', 'noisy.spawner'], {
        NOISY_SLEEP: sleeper,
      });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^noisy\.spawner\s+ok/m);
      expect(result.stdout + result.stderr).toMatch(
        /SQLMesh exited, but a process it started still holds its output open: stopped reading after 2s/,
      );
    } finally {
      await execa('pkill', ['-f', `sleep ${sleeper}`], { reject: false });
    }
  });
});

describe.concurrent('a failed SQLMesh process is never a success', () => {
  // SQLMesh stand-ins for what the real one cannot be made to do on purpose: exit 1 with output
  // nobody can read. The manifest is the basic project's real one.
  async function fakeSqlmesh(script: string) {
    const dir = await scratchCopy(BASIC);
    const python = join(dir, 'fake-python');
    await writeFile(python, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    const manifest = join(dir, 'manifest.json');
    const generated = await cli(['manifest', '--project', dir, '--out', manifest]);
    expect(generated.exitCode, generated.stderr).toBe(0);
    return { dir, python, manifest };
  }

  it.each([
    [
      'text',
      'echo "Error: Run failed." >&2; exit 1',
      /^SQLMesh reported a failed run \(exit code 1\) but no model failure the executor could read/,
    ],
    [
      'json',
      `printf '%s\\n' '{"type": "model_failed", "model": ' '{"type": "run_finished", "status": "failed", "message": "Run failed.", "error_class": null}' >&3; echo "Error: Run failed." >&2; exit 1`,
      /^SQLMesh reported a failed run \(exit code 1\) but no model failure the executor could read/,
    ],
    [
      'json',
      `printf '%s\\n' '{"type": "run_finished", "status": "success", "message": null, "error_class": null}' >&3; exit 3`,
      /^SQLMesh exited with code 3: /,
    ],
  ])('%s console: %s', async (consoleMode, script, error) => {
    const { dir, python, manifest } = await fakeSqlmesh(script);
    const messagesFile = join(dir, 'messages.jsonl');
    const result = await cli([
      'run',
      '--project',
      dir,
      '--manifest',
      manifest,
      '--sqlmesh-python',
      python,
      '--console',
      consoleMode,
      '--messages-file',
      messagesFile,
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/Run FAILED/);
    const messages = (await readFile(messagesFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { method: string; params: { payload?: { status: string; error: string } } });
    const summary = messages.find((m) => m.method === 'report_custom_message')?.params.payload;
    expect(summary?.status).toBe('failed');
    expect(summary?.error).toMatch(error);
  });
});
