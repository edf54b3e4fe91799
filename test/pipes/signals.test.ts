import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PipesTermination, signalExitCode, stopChild } from '../../src/pipes/signals.js';

/** A real child that prints "up" once its signal handlers are installed. */
function child(script: string) {
  const proc = spawn(process.execPath, ['-e', `${script}; console.log("up"); setInterval(() => {}, 1000)`], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return Object.assign(proc, { up: new Promise((resolve) => proc.stdout.once('data', resolve)) });
}

describe('PipesTermination', () => {
  it('aborts, forwards the signal to children and waits for them, then runs cleanups in order', async () => {
    const termination = new PipesTermination();
    const first = child('process.on("SIGTERM", () => setTimeout(() => process.exit(7), 100))');
    const second = child('process.on("SIGTERM", () => process.exit(0))');
    await Promise.all([first.up, second.up]);
    termination.addChild(first);
    termination.addChild(second);
    const events: string[] = [];
    termination.onTerminate(async (signal) => {
      events.push(`cleanup1 ${signal} first=${first.exitCode} second=${second.exitCode}`);
    });
    termination.onTerminate(() => {
      throw new Error('cleanup2 failed');
    });
    const off = termination.onTerminate(() => {
      events.push('unregistered');
    });
    off();
    const errors = await termination.stop('SIGTERM', new Error('reason'));
    expect(termination.signal.aborted).toBe(true);
    expect((termination.signal.reason as Error).message).toBe('reason');
    expect(termination.reason).toBe('SIGTERM');
    expect(events).toEqual(['cleanup1 SIGTERM first=7 second=0']);
    expect(errors.map((e) => (e as Error).message)).toEqual(['cleanup2 failed']);
    // Runs once; the first signal is the one kept.
    expect(await termination.stop('SIGINT')).toBe(errors);
    expect(termination.reason).toBe('SIGTERM');
  });

  it('sends the per-child signal override', async () => {
    const termination = new PipesTermination();
    const proc = child('process.on("SIGINT", () => process.exit(0)); process.on("SIGTERM", () => process.exit(9))');
    await proc.up;
    termination.addChild(proc, { signal: 'SIGINT' });
    await termination.stop('SIGTERM');
    expect(proc.exitCode).toBe(0);
  });
});

describe('stopChild', () => {
  it('escalates to SIGKILL when the child ignores the signal', async () => {
    const proc = child('process.on("SIGTERM", () => {})');
    await proc.up;
    await stopChild(proc, 'SIGTERM', 200);
    expect(proc.signalCode).toBe('SIGKILL');
  });

  it('returns at once for a child that already exited', async () => {
    const proc = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => proc.once('exit', resolve));
    await stopChild(proc, 'SIGTERM', 10_000);
    expect(proc.exitCode).toBe(0);
  });
});

it('signalExitCode is 128 + the signal number', () => {
  expect([signalExitCode('SIGINT'), signalExitCode('SIGTERM')]).toEqual([130, 143]);
});
