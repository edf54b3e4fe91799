import { PassThrough } from 'node:stream';
import type { SqlmeshCommand } from '../../../src/sqlmesh/command.js';
import type { ChildExit, SpawnSqlmesh, SqlmeshChild } from '../../../src/sqlmesh/process.js';

/** A fake SQLMesh process: write to its pipes, then `exit`. */
export interface FakeProcess extends SqlmeshChild {
  readonly stdout: PassThrough;
  readonly stderr: PassThrough;
  readonly events: PassThrough;
  readonly killedWith: NodeJS.Signals[];
  /** Write a JSON event line on the events channel. */
  event(event: object): void;
  /** End all pipes and exit. */
  finish(exit: Partial<ChildExit>): void;
  /** Exit, leaving the pipes as they are (a background process may still hold them). */
  exitOnly(exit: Partial<ChildExit>): void;
}

export function fakeProcess(): FakeProcess {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const events = new PassThrough();
  let settle: (exit: ChildExit) => void = () => undefined;
  const exit = new Promise<ChildExit>((resolve) => {
    settle = resolve;
  });
  const killedWith: NodeJS.Signals[] = [];
  const fake: FakeProcess = {
    stdout,
    stderr,
    events,
    exit,
    killedWith,
    kill(signal = 'SIGTERM') {
      killedWith.push(signal);
      fake.finish({ signal, exitCode: undefined });
      return true;
    },
    event(event) {
      events.write(`${JSON.stringify(event)}\n`);
    },
    finish(result) {
      stdout.end();
      stderr.end();
      events.end();
      settle({ exitCode: undefined, signal: undefined, ...result });
    },
    exitOnly(result) {
      settle({ exitCode: undefined, signal: undefined, ...result });
    },
  };
  return fake;
}

/** A spawn that hands out `child` and records the command. */
export function fakeSpawn(child: SqlmeshChild): SpawnSqlmesh & { commands: SqlmeshCommand[] } {
  const commands: SqlmeshCommand[] = [];
  const spawn = (command: SqlmeshCommand) => {
    commands.push(command);
    return child;
  };
  return Object.assign(spawn, { commands });
}
