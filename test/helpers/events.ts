import type { EventOf } from '../../src/contracts/console-events.js';

/** A successful batch event; override what the test is about. */
export function batch(model: string, overrides: Partial<EventOf<'batch_evaluated'>> = {}): EventOf<'batch_evaluated'> {
  return {
    type: 'batch_evaluated',
    model,
    interval: ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'],
    batch_index: 0,
    batch_count: 1,
    duration_ms: 1500,
    audits_passed: 0,
    audits_failed: 0,
    annotation: null,
    execution_stats: null,
    ...overrides,
  };
}

/** A model failure event. */
export function failed(model: string, overrides: Partial<EventOf<'model_failed'>> = {}): EventOf<'model_failed'> {
  return {
    type: 'model_failed',
    model,
    interval: null,
    batch_index: null,
    error_class: 'ParserException',
    message: 'syntax error at or near "SELEC"',
    audit_failures: [],
    ...overrides,
  };
}
