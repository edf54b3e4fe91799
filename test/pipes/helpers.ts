// Shared test helpers: an in-memory channel recording the exact lines a real writer would write.
import { PipesContext } from '../../src/pipes/context.js';
import { encodeMessage } from '../../src/pipes/message.js';
import type { PipesContextData, PipesMessage } from '../../src/pipes/protocol.js';
import type { PipesMessageChannel } from '../../src/pipes/writers/channel.js';

/** Records encoded lines (without the newline) and whether it was closed. */
export class MemoryChannel implements PipesMessageChannel {
  readonly lines: string[] = [];
  closed = false;
  writeMessage(message: PipesMessage): void {
    this.lines.push(encodeMessage(message).slice(0, -1));
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  closeSync(): void {
    this.closed = true;
  }
}

/** A complete context payload with every nullable field null. */
export function contextData(overrides: Partial<PipesContextData> = {}): PipesContextData {
  return {
    asset_keys: ['a'],
    code_version_by_asset_key: null,
    provenance_by_asset_key: null,
    partition_key: null,
    partition_key_range: null,
    partition_time_window: null,
    run_id: 'run-1',
    job_name: null,
    retry_number: 0,
    extras: {},
    ...overrides,
  };
}

/** A context over a MemoryChannel. */
export function memoryContext(overrides: Partial<PipesContextData> = {}): { pipes: PipesContext; channel: MemoryChannel } {
  const channel = new MemoryChannel();
  return { pipes: new PipesContext(contextData(overrides), channel), channel };
}

export const OPENED = '{"__dagster_pipes_version": "0.1", "method": "opened", "params": {"extras": {}}}';
export const CLOSED = '{"__dagster_pipes_version": "0.1", "method": "closed", "params": {}}';
/** The line of a message with these method and params JSON. */
export const line = (method: string, params: string) => `{"__dagster_pipes_version": "0.1", "method": "${method}", "params": ${params}}`;
