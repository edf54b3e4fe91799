// Running outside Dagster: the caller supplies the asset keys and extras; messages go to a file as
// JSON lines (the exact bytes Dagster would read) and a human-readable echo goes to stderr.
import { randomUUID } from 'node:crypto';
import { parseContextData } from './context-loader.js';
import { pythonFloatRepr, pythonJson } from './json.js';
import type { PipesMetadataValue } from './metadata.js';
import type { PipesContextData, PipesExtras, PipesMessage } from './protocol.js';
import type { PipesMessageChannel, PipesWritable } from './writers/channel.js';
import { flushStream } from './writers/channel.js';
import { PipesFileMessageChannel } from './writers/path.js';

/** What a mock run looks like. */
export interface MockPipesOptions {
  /** Escaped asset-key strings in scope. @default null (not an asset step) */
  readonly assetKeys?: readonly string[] | null;
  /** Extras, as the Dagster side would pass them. @default {} */
  readonly extras?: PipesExtras;
  /** Any other context field (run_id, partition_key, …); wins over the defaults. */
  readonly data?: Partial<PipesContextData>;
  /** File receiving the messages as JSON lines (truncated at open). @default none */
  readonly messagesFile?: string | null;
  /** Where the human-readable echo goes; null for none. @default process.stderr */
  readonly echo?: PipesWritable | null;
}

/** The context data of a mock run: every field present, validated like a real payload. */
export function mockContextData(options: MockPipesOptions = {}): PipesContextData {
  const keys = options.assetKeys === undefined || options.assetKeys === null ? null : [...options.assetKeys];
  const data: PipesContextData = {
    asset_keys: keys,
    code_version_by_asset_key: keys && Object.fromEntries(keys.map((key) => [key, null])),
    provenance_by_asset_key: keys && Object.fromEntries(keys.map((key) => [key, null])),
    partition_key: null,
    partition_key_range: null,
    partition_time_window: null,
    run_id: `mock-${randomUUID()}`,
    job_name: null,
    retry_number: 0,
    extras: { ...options.extras },
    ...options.data,
  };
  return parseContextData(data, 'the mock options');
}

/** A metadata value as people read it. */
function formatMetadataValue(value: PipesMetadataValue): string {
  const raw = value.raw_value;
  if (raw === null) return 'null';
  switch (value.type) {
    case 'float':
      return typeof raw === 'number' ? pythonFloatRepr(raw) : String(raw);
    case 'timestamp':
      return typeof raw === 'number' ? new Date(raw * 1000).toISOString() : String(raw);
    case 'table':
      return `table (${value.raw_value.records.length} row(s), ${value.raw_value.schema.length} column(s))`;
    case 'table_schema':
      return `columns ${value.raw_value.columns.map((column) => `${column.name}: ${column.type}`).join(', ')}`;
    default:
      return typeof raw === 'string' ? raw : pythonJson(raw);
  }
}

function metadataLines(metadata: Readonly<Record<string, PipesMetadataValue>> | null): string {
  if (!metadata) return '';
  return Object.entries(metadata)
    .map(([key, value]) => `\n    ${key}: ${formatMetadataValue(value)}`)
    .join('');
}

/** One message as a human-readable line (or lines). */
export function formatMessage(message: PipesMessage): string {
  switch (message.method) {
    case 'opened':
      return '[pipes] opened';
    case 'closed': {
      const exception = 'exception' in message.params ? message.params.exception : null;
      return exception
        ? `[pipes] closed with error: ${exception.name ? `${exception.name}: ` : ''}${exception.message}${exception.stack.map((frame) => `\n${frame.trimEnd()}`).join('')}`
        : '[pipes] closed';
    }
    case 'log':
      return `[${message.params.level}] ${message.params.message}`;
    case 'report_asset_materialization': {
      const { asset_key, data_version, metadata } = message.params;
      return `materialized ${asset_key}${data_version === null ? '' : ` (data version ${data_version})`}${metadataLines(metadata)}`;
    }
    case 'report_asset_check': {
      const { asset_key, check_name, passed, severity, metadata } = message.params;
      return `check ${asset_key}:${check_name} ${passed ? 'passed' : `FAILED (${severity})`}${metadataLines(metadata)}`;
    }
    case 'report_custom_message':
      return `custom message: ${pythonJson(message.params.payload)}`;
    case 'log_external_stream':
      return `[${message.params.stream}] ${message.params.text.replace(/\n$/, '')}`;
    default:
      return message satisfies never;
  }
}

/** Writes messages to the optional JSON-lines file and echoes them for people. */
export class PipesMockMessageChannel implements PipesMessageChannel {
  private readonly file: PipesFileMessageChannel | null;
  private readonly echo: PipesWritable | null;

  constructor(options: Pick<MockPipesOptions, 'messagesFile' | 'echo'> = {}) {
    this.file = options.messagesFile ? new PipesFileMessageChannel(options.messagesFile, { truncate: true }) : null;
    this.echo = options.echo === undefined ? process.stderr : options.echo;
  }

  writeMessage(message: PipesMessage): void {
    this.file?.writeMessage(message);
    this.echo?.write(`${formatMessage(message)}\n`);
  }

  async close(): Promise<void> {
    this.file?.closeSync();
    if (this.echo) await flushStream(this.echo);
  }

  closeSync(): void {
    this.file?.closeSync();
  }
}
