import type { SqlmeshEvent } from '../../../src/contracts/console-events.js';
import type { SqlmeshInvocation, SqlmeshRunResult } from '../../../src/sqlmesh/process.js';

/** Drain an invocation: all events, then its result (or the error it rejected with). */
export async function collect(
  invocation: SqlmeshInvocation,
): Promise<{ events: SqlmeshEvent[]; result?: SqlmeshRunResult; error?: unknown }> {
  const events: SqlmeshEvent[] = [];
  for await (const event of invocation.events) events.push(event);
  try {
    return { events, result: await invocation.result };
  } catch (error) {
    return { events, error };
  }
}

/** Events without timings, snapshot identifiers and live logs: what a scenario asserts exactly. */
export function withoutTimings(events: readonly SqlmeshEvent[]): Record<string, unknown>[] {
  return events
    .filter((event) => event.type !== 'log' && event.type !== 'environment_snapshots')
    .map((event) => {
      const copy: Record<string, unknown> = { ...event };
      if (event.type === 'batch_evaluated') delete copy.duration_ms;
      if (event.type === 'evaluation_started') delete copy.fingerprints;
      return copy;
    });
}

/** A compact `type model` line per event, to compare sequences at a glance. */
export function outline(events: readonly SqlmeshEvent[]): string[] {
  return events
    .filter((event) => event.type !== 'log' && event.type !== 'environment_snapshots')
    .map((event) => {
      switch (event.type) {
        case 'batch_started':
        case 'audit_warning':
          return `${event.type} ${event.model}`;
        case 'batch_evaluated':
          return `${event.type} ${event.model} ${event.batch_index + 1}/${event.batch_count ?? '?'}`;
        case 'model_failed':
          return `${event.type} ${event.model} ${event.error_class ?? ''}`;
        case 'models_skipped':
          return `${event.type} ${event.models.join(',')}`;
        case 'evaluation_finished':
          return `${event.type} ${event.success}`;
        case 'run_finished':
          return `${event.type} ${event.status}`;
        default:
          return event.type;
      }
    });
}

/** Set aside what the text console cannot show. */
export function comparable(events: readonly SqlmeshEvent[]): unknown[] {
  return events.flatMap((event): unknown[] => {
    switch (event.type) {
      case 'log':
      case 'environment_snapshots':
      case 'evaluation_started':
      case 'batch_started':
        return [];
      case 'run_started':
        // The text CLI prints no version (and the runner no longer probes for it).
        return [{ type: event.type, environment: event.environment, selected_models: event.selected_models }];
      case 'batch_evaluated': {
        const { duration_ms: _duration, execution_stats: _stats, node: _node, ...rest } = event;
        // Text shows an interval only for incremental kinds (`insert ...`).
        return [{ ...rest, interval: event.annotation?.startsWith('insert') ? event.interval : null }];
      }
      case 'audit_warning': {
        const { batch_index: _batch, ...rest } = event;
        return [{ ...rest, failure: { ...event.failure, args: null, query: null, audit_index: null } }];
      }
      case 'model_failed': {
        const { node: _node, ...rest } = event;
        const audits = event.audit_failures.map((failure) => ({ ...failure, audit_index: null }));
        return [{ ...rest, interval: null, batch_index: null, audit_failures: audits, message: event.message.replace(/\s+/g, ' ').trim() }];
      }
      case 'run_finished':
        return [{ ...event, error_class: null }];
      default:
        return [event];
    }
  });
}

/** The `outline` of a full run of test/fixtures/projects/basic up to END (4 daily batches of demo.events). */
export const ALL_BATCHES = [
  'batch_evaluated demo.amounts 1/1',
  'batch_evaluated demo.events 1/4',
  'batch_evaluated demo.events 2/4',
  'batch_evaluated demo.events 3/4',
  'batch_evaluated demo.events 4/4',
  'batch_evaluated demo.amounts_summary 1/1',
  'batch_evaluated demo.events_daily 1/1',
];
