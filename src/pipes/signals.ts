// Termination: what happens between SIGINT/SIGTERM and `closed`. Dagster's client sends SIGINT
// when a run is terminated and waits `termination_timeout_seconds` (20 s by default) for the
// process to exit. In that window we abort the run's AbortSignal, forward the signal to the
// registered children (e.g. a SQLMesh process) and wait for them, run the registered cleanups
// (which may still report what finished), then write `closed` with the interruption and exit.
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { PipesInterruptedError } from './errors.js';

/** What a registered child needs to offer; a ChildProcess or an execa subprocess fits. */
export type PipesChild = Pick<ChildProcess, 'kill' | 'exitCode' | 'signalCode' | 'once'>;
/** A cleanup step run on termination, after the children exited and before `closed`. */
export type PipesTerminationHandler = (signal: NodeJS.Signals) => void | Promise<void>;

/** How signals end a Pipes run. */
export interface PipesSignalOptions {
  /** Signals handled. @default ['SIGINT', 'SIGTERM'] */
  readonly signals?: readonly NodeJS.Signals[];
  /** Exit the process once `closed` is written (otherwise only process.exitCode is set). @default true */
  readonly exit?: boolean;
  /** Exit code for a signal. @default 128 + the signal number (130 for SIGINT, 143 for SIGTERM) */
  readonly exitCode?: (signal: NodeJS.Signals) => number;
  /** How long to wait for each child after forwarding the signal, before SIGKILL. @default 10_000 (Dagster waits 20 s in all) */
  readonly childTimeoutMs?: number;
}

/** The exit code a shell would report for a process killed by `signal`. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

interface ChildEntry {
  readonly child: PipesChild;
  readonly signal: NodeJS.Signals | undefined;
}

/** Registry of children and cleanups, and the run's AbortSignal. */
export class PipesTermination {
  private readonly controller = new AbortController();
  private readonly children = new Set<ChildEntry>();
  private readonly handlers: PipesTerminationHandler[] = [];
  private reasonSignal: NodeJS.Signals | null = null;
  private stopping: Promise<unknown[]> | null = null;

  constructor(private readonly childTimeoutMs = 10_000) {}

  /** Aborted with a PipesInterruptedError-like reason when termination starts. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The first signal received (the one kept), or null. */
  get reason(): NodeJS.Signals | null {
    return this.reasonSignal;
  }

  /**
   * Forward termination to `child` and wait for it before `closed`; `options.signal` overrides the
   * signal sent (default: the one received). Returns a function that unregisters it.
   */
  addChild(child: PipesChild, options: { signal?: NodeJS.Signals } = {}): () => void {
    const entry: ChildEntry = { child, signal: options.signal };
    this.children.add(entry);
    return () => this.children.delete(entry);
  }

  /** Run `handler` on termination (in registration order). Returns a function that unregisters it. */
  onTerminate(handler: PipesTerminationHandler): () => void {
    this.handlers.push(handler);
    return () => {
      const index = this.handlers.indexOf(handler);
      if (index >= 0) this.handlers.splice(index, 1);
    };
  }

  /** Abort, stop the children, run the handlers; resolves with the errors they raised. Runs once. */
  stop(signal: NodeJS.Signals, reason?: unknown): Promise<unknown[]> {
    this.reasonSignal ??= signal;
    this.stopping ??= this.run(signal, reason);
    return this.stopping;
  }

  private async run(signal: NodeJS.Signals, reason: unknown): Promise<unknown[]> {
    this.controller.abort(reason ?? new PipesInterruptedError(signal));
    const errors: unknown[] = [];
    await Promise.all(
      [...this.children].map((entry) =>
        stopChild(entry.child, entry.signal ?? signal, this.childTimeoutMs).catch((error: unknown) => errors.push(error)),
      ),
    );
    for (const handler of [...this.handlers]) {
      try {
        await handler(signal);
      } catch (error) {
        errors.push(error);
      }
    }
    return errors;
  }
}

function hasExited(child: PipesChild): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: PipesChild, timeoutMs: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(hasExited(child)), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Send `signal`, wait up to `timeoutMs`, then SIGKILL and wait a little more. */
export async function stopChild(child: PipesChild, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  if (hasExited(child)) return;
  child.kill(signal);
  if (await waitForExit(child, timeoutMs)) return;
  child.kill('SIGKILL');
  await waitForExit(child, 2_000);
}
