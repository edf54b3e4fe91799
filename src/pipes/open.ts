// The owner of a Pipes run's lifecycle: bootstrap (env vars or CLI arguments, or a mock outside
// Dagster), `opened` first, process hooks so that `closed` is written on every exit path
// (normal end, thrown error, SIGINT/SIGTERM, process.exit), exactly once.

import { PipesContext } from './context.js';
import { type PipesContextLoader, PipesDefaultContextLoader } from './context-loader.js';
import { PipesError, PipesInterruptedError } from './errors.js';
import { toPipesException } from './exception.js';
import { makeMessage } from './message.js';
import { type MockPipesOptions, mockContextData, PipesMockMessageChannel } from './mock.js';
import { type BootstrapSources, detectParamsLoader, type PipesParamsLoader } from './params.js';
import { type PipesSignalOptions, PipesTermination, signalExitCode } from './signals.js';
import type { PipesMessageChannel, PipesMessageWriter } from './writers/channel.js';
import { PipesDefaultMessageWriter } from './writers/default.js';

/** How to open a Pipes run. */
export interface OpenDagsterPipesOptions extends BootstrapSources {
  /** Where the params come from. @default env vars, else the CLI arguments */
  readonly paramsLoader?: PipesParamsLoader;
  /** @default PipesDefaultContextLoader (`path` | `data`) */
  readonly contextLoader?: PipesContextLoader;
  /** @default PipesDefaultMessageWriter (`path` | `stdio` | `buffered_stdio`) */
  readonly messageWriter?: PipesMessageWriter;
  /** Used when the process was not launched by Dagster; without it, opening outside Dagster throws. */
  readonly mock?: MockPipesOptions;
  /** SIGINT/SIGTERM handling; `false` installs no signal listeners. @default {} */
  readonly signals?: PipesSignalOptions | false;
  /** Write `closed` from a process `exit` listener if the process exits first. @default true */
  readonly exitHook?: boolean;
}

/** Open the Pipes context: under Dagster from its params, otherwise the mock (if given). */
export function openDagsterPipes(options: OpenDagsterPipesOptions = {}): PipesContext {
  const loader = options.paramsLoader ?? detectParamsLoader(options);
  if (!loader?.isDagsterPipesProcess()) {
    if (options.mock) return openMockDagsterPipes(options.mock, options);
    throw new PipesError(
      'This process was not launched by Dagster Pipes (DAGSTER_PIPES_CONTEXT / --dagster-pipes-context is not set). Pass `mock` to run outside Dagster.',
    );
  }
  const signals = options.signals === false ? null : (options.signals ?? {});
  const termination = new PipesTermination(signals?.childTimeoutMs);
  const channel = (options.messageWriter ?? new PipesDefaultMessageWriter()).open(loader.loadMessagesParams());
  let context: PipesContext;
  try {
    const data = (options.contextLoader ?? new PipesDefaultContextLoader()).loadContext(loader.loadContextParams());
    context = new PipesContext(data, channel, { termination, openedExtras: options.messageWriter?.openedExtras?.() ?? {} });
  } catch (error) {
    reportOpenFailure(channel, error);
    throw error;
  }
  attachProcessHooks(context, signals, options.exitHook ?? true);
  return context;
}

/** Open a mock context (outside Dagster): JSON lines to `messagesFile`, a readable echo to stderr. */
export function openMockDagsterPipes(
  mock: MockPipesOptions = {},
  options: Pick<OpenDagsterPipesOptions, 'signals' | 'exitHook'> = {},
): PipesContext {
  const signals = options.signals === false ? null : (options.signals ?? {});
  const termination = new PipesTermination(signals?.childTimeoutMs);
  const data = mockContextData(mock);
  const context = new PipesContext(data, new PipesMockMessageChannel(mock), { termination });
  attachProcessHooks(context, signals, options.exitHook ?? true);
  return context;
}

/**
 * Open, run `fn`, close: `closed` carries the thrown error (which is rethrown); the exit code and
 * signals are handled by the process hooks.
 */
export async function withDagsterPipes<T>(fn: (pipes: PipesContext) => T | Promise<T>, options: OpenDagsterPipesOptions = {}): Promise<T> {
  const pipes = openDagsterPipes(options);
  let result: T;
  try {
    result = await fn(pipes);
  } catch (error) {
    await pipes.close(error);
    throw error;
  }
  await pipes.close();
  return result;
}

/** The context could not be loaded: tell Dagster why (opened + closed with the error), then give up. */
function reportOpenFailure(channel: PipesMessageChannel, error: unknown): void {
  try {
    channel.writeMessage(makeMessage('opened', { extras: {} }));
    channel.writeMessage(makeMessage('closed', { exception: toPipesException(error) }));
    channel.closeSync();
  } catch {
    // The original error is the one worth throwing.
  }
}

/** Signal listeners and the exit fallback; all removed when the context closes. */
function attachProcessHooks(context: PipesContext, signals: PipesSignalOptions | null, exitHook: boolean): void {
  const detach: (() => void)[] = [];
  let lastError: unknown;

  if (exitHook) {
    const onError = (error: unknown) => {
      lastError = error;
    };
    const onExit = (code: number) => {
      if (context.isClosed) return;
      // Only synchronous work runs here: the path writer is synchronous, stdio best effort.
      context.closeSync(
        code === 0 ? undefined : (lastError ?? new PipesError(`process exited with code ${code} before Dagster Pipes was closed`)),
      );
    };
    process.on('uncaughtExceptionMonitor', onError);
    process.on('exit', onExit);
    detach.push(
      () => process.off('uncaughtExceptionMonitor', onError),
      () => process.off('exit', onExit),
    );
  }

  if (signals) {
    const exitCode = signals.exitCode ?? signalExitCode;
    const shouldExit = signals.exit ?? true;
    let terminating = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (terminating) {
        // A second signal while stopping: give up waiting, close now, exit.
        context.closeSync(new PipesInterruptedError(signal));
        process.exit(exitCode(signal));
      }
      terminating = true;
      void shutDown(context, signal).then(() => {
        for (const off of detach) off();
        process.exitCode = exitCode(signal);
        if (shouldExit) process.exit(exitCode(signal));
      });
    };
    for (const signal of signals.signals ?? ['SIGINT', 'SIGTERM']) {
      process.on(signal, onSignal);
      detach.push(() => process.off(signal, onSignal));
    }
    // The context may close while a signal is being handled: keep the listeners until the end,
    // so a second Ctrl-C still works, and only detach the exit hook.
    context.onClose(() => {
      if (!terminating) for (const off of detach) off();
    });
    return;
  }
  context.onClose(() => {
    for (const off of detach) off();
  });
}

async function shutDown(context: PipesContext, signal: NodeJS.Signals): Promise<void> {
  const interrupted = new PipesInterruptedError(signal);
  const errors = await context.termination.stop(signal, interrupted);
  for (const error of errors) {
    if (context.isClosed) break;
    try {
      context.log.error(`cleanup after ${signal} failed: ${error instanceof Error ? error.message : String(error)}`);
    } catch {
      // Best effort: closing matters more than this log line.
    }
  }
  await context.close(interrupted);
}
