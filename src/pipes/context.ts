// The context of one Pipes run: the data Dagster injected, the reporting methods, and the
// lifecycle. `opened` is written by the constructor, `closed` exactly once by the first close;
// any write after that throws.
import { PipesError } from './errors.js';
import { toPipesException } from './exception.js';
import { makeMessage } from './message.js';
import { type JsonValue, normalizeMetadata, type PipesMetadataMapInput } from './metadata.js';
import type {
  PipesAssetCheckSeverity,
  PipesContextData,
  PipesDataProvenance,
  PipesExtras,
  PipesLogLevel,
  PipesMessage,
  PipesMethod,
  PipesParamsOf,
  PipesPartitionKeyRange,
  PipesTimeWindow,
} from './protocol.js';
import { PipesTermination } from './signals.js';
import type { PipesMessageChannel } from './writers/channel.js';

/** Options of `reportAssetMaterialization`. */
export interface ReportAssetMaterializationOptions {
  /** Required when several assets are in scope (or none); must be one of `assetKeys` otherwise. */
  readonly assetKey?: string;
  readonly metadata?: PipesMetadataMapInput | null;
  readonly dataVersion?: string | null;
}

/** Options of `reportAssetCheck`. */
export interface ReportAssetCheckOptions {
  readonly checkName: string;
  readonly passed: boolean;
  /** @default 'ERROR' */
  readonly severity?: PipesAssetCheckSeverity;
  readonly metadata?: PipesMetadataMapInput | null;
  readonly assetKey?: string;
}

/** Log methods streaming to Dagster's run log (live). */
export interface PipesLogger {
  log(level: PipesLogLevel, message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  /** Alias of `warning`. */
  warn(message: string): void;
  error(message: string): void;
  critical(message: string): void;
}

/** Options of the PipesContext constructor. */
export interface PipesContextOptions {
  /** Extras of the `opened` message. @default {} */
  readonly openedExtras?: PipesExtras;
  /** Termination registry; one is created when not given. */
  readonly termination?: PipesTermination;
}

/** A Dagster Pipes run as seen from the external process. */
export class PipesContext {
  /** Children and cleanups to stop on SIGINT/SIGTERM, and the run's AbortSignal. */
  readonly termination: PipesTermination;
  /** Streams log records to Dagster. */
  readonly log: PipesLogger;

  private closing: Promise<void> | null = null;
  private readonly materialized = new Set<string>();
  private readonly checked = new Set<string>();
  private readonly checkOnlyKeys = new Set<string>();
  private readonly inScope: ReadonlySet<string>;
  private readonly closeHooks: (() => void)[] = [];

  constructor(
    /** The validated context payload, nulls kept. */
    readonly data: PipesContextData,
    private readonly channel: PipesMessageChannel,
    options: PipesContextOptions = {},
  ) {
    this.termination = options.termination ?? new PipesTermination();
    this.inScope = new Set(data.asset_keys ?? []);
    this.channel.writeMessage(makeMessage('opened', { extras: options.openedExtras ?? {} }));
    const at = (level: PipesLogLevel) => (message: string) => this.write('log', { message, level });
    this.log = {
      log: (level, message) => this.write('log', { message, level }),
      debug: at('DEBUG'),
      info: at('INFO'),
      warning: at('WARNING'),
      warn: at('WARNING'),
      error: at('ERROR'),
      critical: at('CRITICAL'),
    };
  }

  // ##### Lifecycle

  /** Whether `closed` has been written (or is being written). */
  get isClosed(): boolean {
    return this.closing !== null;
  }

  /** Aborted when a termination signal arrives. */
  get signal(): AbortSignal {
    return this.termination.signal;
  }

  /** Write `closed` (with `error` as its exception, if given) and release the channel; idempotent. */
  close(error?: unknown): Promise<void> {
    if (this.closing) return this.closing;
    this.runCloseHooks();
    this.closing = this.writeClosed(error).then(() => this.channel.close());
    return this.closing;
  }

  /** Synchronous close for `exit` handlers: writes `closed` and releases what it can. Idempotent. */
  closeSync(error?: unknown): void {
    if (this.closing) return;
    this.runCloseHooks();
    this.closing = Promise.resolve();
    this.writeClosedNow(error);
    this.channel.closeSync();
  }

  /**
   * Run `hook` when the context closes, while messages can still be sent (before `closed`); used
   * to detach process hooks and flush buffered log lines.
   */
  onClose(hook: () => void): void {
    this.closeHooks.push(hook);
  }

  private runCloseHooks(): void {
    for (const hook of this.closeHooks.splice(0)) hook();
  }

  private async writeClosed(error: unknown): Promise<void> {
    this.writeClosedNow(error);
  }

  private writeClosedNow(error: unknown): void {
    const params: PipesParamsOf<'closed'> = error === undefined || error === null ? {} : { exception: toPipesException(error) };
    this.channel.writeMessage(makeMessage('closed', params));
  }

  private write<M extends PipesMethod>(method: M, params: PipesParamsOf<M>): void {
    if (this.closing) throw new PipesError(`Cannot send \`${method}\` after the Dagster Pipes context is closed.`);
    this.channel.writeMessage(makeMessage(method, params) as PipesMessage);
  }

  // ##### Context data (same rules as dagster_pipes.PipesContext)

  /** Whether this step targets assets. */
  get isAssetStep(): boolean {
    return this.data.asset_keys !== null;
  }

  /** The escaped key strings of the assets in scope; throws when the step targets no asset. */
  get assetKeys(): readonly string[] {
    return this.defined(this.data.asset_keys, 'assetKeys', 'Current step does not target an asset.');
  }

  /** The single asset key in scope; throws when zero or several are. */
  get assetKey(): string {
    return this.single(this.assetKeys, 'assetKey');
  }

  /** Code version per asset key. */
  get codeVersionByAssetKey(): Readonly<Record<string, string | null>> {
    return this.defined(this.data.code_version_by_asset_key, 'codeVersionByAssetKey', 'Current step does not target an asset.');
  }

  /** The code version of the single asset in scope. */
  get codeVersion(): string | null {
    return this.codeVersionByAssetKey[this.assetKey] ?? null;
  }

  /** Data provenance per asset key. */
  get provenanceByAssetKey(): Readonly<Record<string, PipesDataProvenance | null>> {
    return this.defined(this.data.provenance_by_asset_key, 'provenanceByAssetKey', 'Current step does not target an asset.');
  }

  /** The data provenance of the single asset in scope. */
  get provenance(): PipesDataProvenance | null {
    return this.provenanceByAssetKey[this.assetKey] ?? null;
  }

  /** Whether the step is scoped to one or more partitions. */
  get isPartitionStep(): boolean {
    return this.data.partition_key_range !== null;
  }

  /** The partition key; throws when the step targets no single partition. */
  get partitionKey(): string {
    return this.defined(this.data.partition_key, 'partitionKey', 'Current step does not target any partitions.');
  }

  /** The partition key range; throws when the step targets no partitions. */
  get partitionKeyRange(): PipesPartitionKeyRange {
    return this.defined(this.data.partition_key_range, 'partitionKeyRange', 'Current step does not target any partitions.');
  }

  /** The time window of a time-partitioned step (null if the partitions are not temporal). */
  get partitionTimeWindow(): PipesTimeWindow | null {
    this.partitionKeyRange;
    return this.data.partition_time_window;
  }

  /** The Dagster run id. */
  get runId(): string {
    return this.data.run_id;
  }

  /** The job name, or null. */
  get jobName(): string | null {
    return this.data.job_name;
  }

  /** The retry number of the run (0 on the first attempt). */
  get retryNumber(): number {
    return this.data.retry_number;
  }

  /** All extras passed by the Dagster side. */
  get extras(): PipesExtras {
    return this.data.extras;
  }

  /** One extra; throws when it was not provided. */
  getExtra(key: string): unknown {
    if (!(key in this.data.extras)) throw new PipesError(`Extra \`${key}\` is undefined. Extras must be provided by the Dagster side.`);
    return this.data.extras[key];
  }

  // ##### Reporting

  /** Report a materialization; once per asset key. */
  reportAssetMaterialization(options: ReportAssetMaterializationOptions = {}): void {
    const method = 'report_asset_materialization';
    const assetKey = this.resolveAssetKey(method, options.assetKey);
    if (this.materialized.has(assetKey)) {
      throw new PipesError(
        `Calling \`${method}\` with asset key \`${assetKey}\` twice: the asset has already been materialized in this run.`,
      );
    }
    this.write(method, {
      asset_key: assetKey,
      data_version: options.dataVersion ?? null,
      metadata: normalizeMetadata(options.metadata, method),
    });
    this.materialized.add(assetKey);
  }

  /**
   * Let checks be reported for these asset keys too. Dagster's context lists only the assets the
   * step materializes, while a multi-asset may also check its dependencies (e.g. a source table).
   */
  allowCheckAssetKeys(assetKeys: Iterable<string>): void {
    for (const key of assetKeys) this.checkOnlyKeys.add(key);
  }

  /** Report an asset check result; once per asset key and check name. */
  reportAssetCheck(options: ReportAssetCheckOptions): void {
    const method = 'report_asset_check';
    const assetKey =
      options.assetKey !== undefined && this.checkOnlyKeys.has(options.assetKey)
        ? options.assetKey
        : this.resolveAssetKey(method, options.assetKey);
    const id = JSON.stringify([assetKey, options.checkName]);
    if (this.checked.has(id)) {
      throw new PipesError(
        `Calling \`${method}\` for check \`${options.checkName}\` of \`${assetKey}\` twice: it has already been reported in this run.`,
      );
    }
    this.write(method, {
      asset_key: assetKey,
      check_name: options.checkName,
      passed: options.passed,
      metadata: normalizeMetadata(options.metadata, method),
      severity: options.severity ?? 'ERROR',
    });
    this.checked.add(id);
  }

  /** Send any JSON payload; the Dagster side reads it with `get_custom_messages()`. */
  reportCustomMessage(payload: JsonValue): void {
    this.write('report_custom_message', { payload });
  }

  /** Send a chunk of stdout/stderr text; Dagster writes it to its own stream. */
  logExternalStream(stream: 'stdout' | 'stderr', text: string, extras: PipesExtras = {}): void {
    this.write('log_external_stream', { stream, text, extras });
  }

  /** The key to report for: the explicit one (checked against the scope) or the only one in scope. */
  resolveAssetKey(method: string, assetKey: string | undefined): string {
    const inScope = this.data.asset_keys;
    if (inScope && inScope.length > 0) {
      if (assetKey !== undefined && !this.inScope.has(assetKey)) {
        throw new PipesError(
          `Invalid asset key for \`${method}\`: expected one of ${JSON.stringify(inScope)}, got ${JSON.stringify(assetKey)}.`,
        );
      }
      if (assetKey !== undefined) return assetKey;
      if (inScope.length !== 1) {
        throw new PipesError(
          `Calling \`${method}\` without an asset key is ambiguous: the current step targets ${inScope.length} assets. Pass \`assetKey\`.`,
        );
      }
      return inScope[0]!;
    }
    if (!assetKey) {
      throw new PipesError(
        `Calling \`${method}\` without an asset key is undefined: the current step does not target a specific asset. Pass \`assetKey\`.`,
      );
    }
    return assetKey;
  }

  private defined<T>(value: T | null, property: string, why: string): T {
    if (value === null) throw new PipesError(`\`${property}\` is undefined. ${why}`);
    return value;
  }

  private single(keys: readonly string[], property: string): string {
    if (keys.length !== 1) throw new PipesError(`\`${property}\` is undefined. Current step targets ${keys.length} assets.`);
    return keys[0]!;
  }
}
