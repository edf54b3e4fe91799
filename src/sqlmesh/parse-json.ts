import { SqlmeshEvent, type EventOf, type LogLevel } from './events.js';

type LogSource = EventOf<'log'>['source'];

/** A `log` event. */
export function logEvent(message: string, source: LogSource, level: LogLevel = 'INFO'): EventOf<'log'> {
  return { type: 'log', level, message, source };
}

/**
 * One line of the JSON console channel as an event. Never throws: a line that is not JSON, has
 * an unknown `type` or does not match its schema becomes a `log` event carrying the raw line.
 * Blank lines give null.
 */
export function parseJsonLine(line: string): SqlmeshEvent | null {
  if (line.trim() === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return logEvent(line, 'console', 'WARNING');
  }
  const parsed = SqlmeshEvent.safeParse(value);
  if (parsed.success) return parsed.data;
  // A newer shim's event type, or a known one with a bad shape: keep it visible, never fatal.
  return logEvent(line, 'console', isKnownType(value) ? 'WARNING' : 'INFO');
}

const knownTypes = new Set<string>(SqlmeshEvent.options.map((option) => option.shape.type.value));

function isKnownType(value: unknown): boolean {
  return typeof value === 'object' && value !== null && knownTypes.has(String((value as { type?: unknown }).type));
}

// Lines SQLMesh/Python print on failure; kept as ERROR so they stand out in the live log.
const ERROR_LINE = /^(Error: |Traceback \(most recent call last\):|[A-Za-z_][\w.]*(Error|Exception)(: |$))/;

/** A raw stdout/stderr line of the SQLMesh process as a `log` event (null for blank lines). */
export function outputLineEvent(line: string, source: 'stdout' | 'stderr'): EventOf<'log'> | null {
  const message = line.trimEnd();
  if (message.trim() === '') return null;
  const level: LogLevel = ERROR_LINE.test(message.trimStart()) ? 'ERROR' : source === 'stderr' ? 'WARNING' : 'INFO';
  return logEvent(message, source, level);
}

/** Whether an output line is one of SQLMesh's own error lines (kept for error context). */
export function isErrorLine(line: string): boolean {
  return ERROR_LINE.test(line.trimStart());
}
