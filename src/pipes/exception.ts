// A thrown value as the `closed` message's exception: Dagster builds a SerializableErrorInfo from
// all five keys (message, stack, name, cause, context) and shows `message` then the stack.
import type { PipesException } from './protocol.js';

const MAX_DEPTH = 10;

/** Convert anything thrown into a PipesException (cause chain included, cycles cut). */
export function toPipesException(error: unknown, seen: Set<unknown> = new Set(), depth = 0): PipesException {
  seen.add(error);
  if (!(error instanceof Error)) {
    return { message: describe(error), stack: [], name: null, cause: null, context: null };
  }
  const name = error.name || error.constructor?.name || 'Error';
  const next = (value: unknown): PipesException | null =>
    value === undefined || value === null || seen.has(value) || depth >= MAX_DEPTH ? null : toPipesException(value, seen, depth + 1);
  return {
    // The bare message, as the TypeScript, Rust and Java Pipes implementations send it: the class
    // travels in `name` (Dagster shows it as the error's class).
    message: error.message || name,
    stack: stackFrames(error),
    name,
    cause: next(error.cause),
    // JS has no implicit exception context; the closest is SuppressedError-style `suppressed`
    // (the error that was being handled when this one was thrown).
    context: next((error as { suppressed?: unknown }).suppressed),
  };
}

/** The "    at …" frames of an error's stack, one string per frame ending in "\n" (as Python's). */
function stackFrames(error: Error): string[] {
  const stack = typeof error.stack === 'string' ? error.stack : '';
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .map((line) => `  ${line.trim()}\n`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
