import type { AuditFailure, EventOf, SqlmeshEvent } from '../contracts/console-events.js';
import { isErrorLine, logEvent } from './parse-json.js';
import {
  AUDIT_WARNING,
  BATCH,
  BATCH_NO_DURATION,
  BATCH_START,
  CONSTRUCT_FIRST_CHARS,
  ERROR,
  EXECUTED,
  FAILED_HEADER,
  FENCE,
  LEARN_MORE,
  MARKDOWN_ITEM,
  NEXT_READY,
  NOTHING,
  nameParts,
  nextReadyIso,
  PROGRESS,
  PROGRESS_COUNT,
  parseBatchLine,
  parseFailureBlock,
  RUN_FINISHED,
  SKIPPED_HEADER,
  startsConstruct,
  stripFqn,
  WARNING,
} from './text-grammar.js';
import { vouchForBatches } from './text-vouching.js';

/**
 * The text fallback's state machine (the line grammar is text-grammar.ts): turns the unmodified `sqlmesh run` CLI output (Markdown console when piped,
 * terminal console with SQLMESH_RUNTIME_ENVIRONMENT=terminal, wide or wrapped at 80 columns) into
 * the same events as the JSON console. Fields the text cannot show are null: batch intervals of
 * non-incremental models, a failure's interval/batch, audit arguments of non-blocking audits.
 * Batch starts and the evaluation plan are not printed at all, so there are no
 * `evaluation_started`/`batch_started` events; `run_started` is the runner's to emit.
 */
export interface TextParserOptions {
  /** Quoted FQN (`"db"."demo"."orders"`) → model name, e.g. from the manifest. */
  readonly fqnToName?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** Every node name the project has (models, external models, standalone audits), when known. */
  readonly knownNodes?: ReadonlySet<string>;
}

type Source = 'stdout' | 'stderr';
type Mode = 'normal' | 'skipped' | 'failed' | 'warning' | 'nothing';

interface FailedBlock {
  fqn: string;
  lines: string[];
}

/** A stateful parser for one run's output: `push` each line, then `end` with the exit code. */
export class TextRunParser {
  readonly #names: ReadonlyMap<string, string>;
  readonly #knownNodes: ReadonlySet<string> | null;
  /** Manifest names by their unquoted parts without catalog (how batch lines show them). */
  readonly #namesByParts = new Map<string, string>();
  readonly #resolved = new Map<string, string>();
  /**
   * Typed events are held until the end, when SQLMesh's own closing blocks (failed, skipped, the
   * batch count) are known and can vouch for the batch lines; only log lines go out live.
   */
  readonly #held: SqlmeshEvent[] = [];
  #failedModels = new Set<string>();
  #executedBatches: number | null = null;
  #mode: Mode = 'normal';
  #pendingBatch: { text: string; parts: number } | null = null;
  #warning: string[] = [];
  #skipped: string[] = [];
  #failed: FailedBlock | null = null;
  #inFence = false;
  #nothing: string | null = null;
  #nothingParagraphDone = false;
  #evaluationFinished = false;
  #sawFailure = false;
  #sawNothing = false;
  #sawRunFinished = false;
  /** SQLMesh's own error lines (`Error: ...`, traceback tails), for status and error context. */
  readonly errors: string[] = [];

  constructor(options: TextParserOptions = {}) {
    const map = options.fqnToName;
    this.#names = map instanceof Map ? map : new Map(Object.entries(map ?? {}));
    this.#knownNodes = options.knownNodes ?? null;
    for (const [fqn, name] of this.#names) this.#namesByParts.set(nameParts(fqn).slice(-2).join('\u0000'), name);
  }

  /** Feed one output line; returns the log events it completes (typed events wait for `end`). */
  push(line: string, source: Source = 'stdout'): SqlmeshEvent[] {
    const out: SqlmeshEvent[] = [];
    if (source === 'stderr') {
      this.#stderr(line, out);
    } else {
      this.#stdout(line.trimEnd(), out);
    }
    return this.#release(out);
  }

  /**
   * The output ended with `exitCode`: flush what is held back, keep only the batch lines SQLMesh's
   * own end state vouches for, and emit `run_finished`.
   */
  end(exitCode: number | null | undefined): SqlmeshEvent[] {
    const out: SqlmeshEvent[] = [];
    this.#flush(out);
    const live = this.#release(out);
    const vouched = vouchForBatches(this.#held, {
      failedModels: this.#failedModels,
      executedBatches: this.#executedBatches,
      knownNodes: this.#knownNodes,
    });
    return [...live, ...vouched, this.#runFinished(exitCode)];
  }

  /** Logs go out now; typed events are held for `end`. */
  #release(events: SqlmeshEvent[]): SqlmeshEvent[] {
    const live: SqlmeshEvent[] = [];
    for (const event of events) {
      if (event.type === 'log') live.push(event);
      else this.#held.push(event);
    }
    return live;
  }

  #stderr(line: string, out: SqlmeshEvent[]): void {
    const text = line.trimEnd();
    if (text.trim() === '') return;
    const error = ERROR.exec(text.trim());
    if (error) this.errors.push(error[1] ?? '');
    else if (isErrorLine(text)) this.errors.push(text.trim());
    out.push(logEvent(text, 'stderr', isErrorLine(text) ? 'ERROR' : 'WARNING'));
  }

  #stdout(text: string, out: SqlmeshEvent[]): void {
    const trimmed = text.trim();
    if (this.#pendingBatch) {
      // Rich wrapped a batch line (80 columns): the rest, often just the duration, follows.
      const joined = `${this.#pendingBatch.text} ${trimmed}`;
      if (trimmed !== '' && BATCH.test(joined)) {
        this.#pendingBatch = null;
        out.push(this.#batch(joined));
        return;
      }
      if (trimmed !== '' && !BATCH_START.test(trimmed) && this.#pendingBatch.parts < 3 && !/\]\s*$/.test(this.#pendingBatch.text)) {
        this.#pendingBatch = { text: joined, parts: this.#pendingBatch.parts + 1 };
        return;
      }
      this.#flushBatch(out);
    }
    switch (this.#mode) {
      case 'warning':
        if (trimmed !== '' && !startsConstruct(trimmed)) {
          this.#warning.push(trimmed);
          return;
        }
        this.#flushWarning(out);
        break;
      case 'nothing': {
        if (trimmed === '') {
          this.#nothingParagraphDone = true;
          return;
        }
        const next = NEXT_READY.exec(trimmed);
        if (next) {
          out.push(this.#nothingToDo(`${this.#nothing ?? ''}\n\n${trimmed}`, nextReadyIso(next)));
          this.#mode = 'normal';
          this.#nothing = null;
          return;
        }
        if (!this.#nothingParagraphDone && !startsConstruct(trimmed)) {
          // Wrapped at 80 columns: the sentence continues on the next line.
          this.#nothing = `${this.#nothing ?? ''} ${trimmed}`;
          return;
        }
        this.#flushNothing(out);
        break;
      }
      case 'skipped':
        if (this.#skippedLine(text, trimmed)) return;
        this.#flushSkipped(out);
        break;
      case 'failed':
        if (this.#failedLine(text, trimmed, out)) return;
        this.#flushFailed(out);
        this.#mode = 'normal';
        break;
      case 'normal':
        break;
    }
    this.#normal(text, trimmed, out);
  }

  #normal(text: string, trimmed: string, out: SqlmeshEvent[]): void {
    if (trimmed === '') return;
    if (!CONSTRUCT_FIRST_CHARS.has(trimmed.charAt(0))) {
      // Fast path: no construct starts with this character; just a log line.
      if (isErrorLine(trimmed)) this.errors.push(trimmed);
      out.push(logEvent(text, 'stdout', isErrorLine(text) ? 'ERROR' : 'INFO'));
      return;
    }
    if (BATCH_START.test(trimmed)) {
      out.push(logEvent(trimmed, 'stdout', 'INFO'));
      const batch = BATCH.exec(trimmed);
      if (batch) out.push(this.#batch(trimmed, batch));
      else this.#pendingBatch = { text: trimmed, parts: 1 };
      return;
    }
    if (EXECUTED.test(trimmed)) {
      this.#finishEvaluation(true, out);
      return;
    }
    if (SKIPPED_HEADER.test(trimmed)) {
      this.#finishEvaluation(false, out);
      this.#mode = 'skipped';
      return;
    }
    if (FAILED_HEADER.test(trimmed)) {
      this.#finishEvaluation(false, out);
      this.#sawFailure = true;
      this.#mode = 'failed';
      this.#inFence = false;
      return;
    }
    const warning = WARNING.exec(trimmed);
    if (warning) {
      this.#mode = 'warning';
      this.#warning = [warning[1] ?? ''];
      return;
    }
    if (NOTHING.test(trimmed)) {
      this.#mode = 'nothing';
      this.#nothing = trimmed;
      this.#nothingParagraphDone = false;
      return;
    }
    if (RUN_FINISHED.test(trimmed)) this.#sawRunFinished = true;
    const error = ERROR.exec(trimmed);
    if (error) this.errors.push(error[1] ?? '');
    else if (isErrorLine(trimmed)) this.errors.push(trimmed);
    if (PROGRESS.test(trimmed)) {
      const count = PROGRESS_COUNT.exec(trimmed);
      if (count) this.#executedBatches = Number(count[1]);
      out.push(logEvent(trimmed, 'stdout', 'DEBUG'));
      return;
    }
    out.push(logEvent(text, 'stdout', error || isErrorLine(text) ? 'ERROR' : 'INFO'));
  }

  #skippedLine(text: string, trimmed: string): boolean {
    if (trimmed === '') {
      // Terminal console: a blank line between header and names; after names it ends the block.
      return this.#skipped.length === 0;
    }
    const item = MARKDOWN_ITEM.exec(trimmed);
    if (item) {
      this.#skipped.push(this.#modelName(item[1] ?? ''));
      return true;
    }
    if (/^ {2}\S/.test(text) && !startsConstruct(trimmed)) {
      this.#skipped.push(this.#modelName(trimmed));
      return true;
    }
    return false;
  }

  #failedLine(text: string, trimmed: string, out: SqlmeshEvent[]): boolean {
    if (this.#inFence) {
      if (FENCE.test(trimmed)) {
        this.#inFence = false;
        return true;
      }
      this.#failedContent(text);
      return true;
    }
    const item = MARKDOWN_ITEM.exec(trimmed);
    if (item) {
      this.#flushFailed(out);
      this.#failed = { fqn: item[1] ?? '', lines: [] };
      return true;
    }
    if (FENCE.test(trimmed)) {
      this.#inFence = true;
      return true;
    }
    if (trimmed === '') {
      if (this.#failed) this.#failed.lines.push('');
      return true;
    }
    if (/^ {2}\S/.test(text) && !startsConstruct(trimmed)) {
      // Terminal console: the model's quoted FQN at indent 2, its message at indent 4 and deeper.
      this.#flushFailed(out);
      this.#failed = { fqn: trimmed, lines: [] };
      return true;
    }
    if (/^ {4}/.test(text) && this.#failed) {
      this.#failedContent(text);
      return true;
    }
    if (this.#failed && !startsConstruct(trimmed)) {
      this.#failedContent(text);
      return true;
    }
    return false;
  }

  #failedContent(text: string): void {
    if (!this.#failed) return;
    const lines = this.#failed.lines;
    // A line Rich wrapped starts at column 0: it continues the previous one.
    if (/^\S/.test(text) && lines.length > 0 && (lines[lines.length - 1] ?? '') !== '') {
      lines[lines.length - 1] = `${lines[lines.length - 1]} ${text.trim()}`;
      return;
    }
    lines.push(text);
  }

  #flush(out: SqlmeshEvent[]): void {
    this.#flushBatch(out);
    if (this.#mode === 'warning') this.#flushWarning(out);
    if (this.#mode === 'nothing') this.#flushNothing(out);
    if (this.#mode === 'skipped') this.#flushSkipped(out);
    if (this.#mode === 'failed') this.#flushFailed(out);
    this.#mode = 'normal';
  }

  #flushBatch(out: SqlmeshEvent[]): void {
    const pending = this.#pendingBatch;
    if (!pending) return;
    this.#pendingBatch = null;
    // A batch line whose duration never came: still a success, duration unknown (0).
    out.push(BATCH_NO_DURATION.test(pending.text) ? this.#batch(`${pending.text} 0s`) : logEvent(pending.text, 'stdout'));
  }

  #flushWarning(out: SqlmeshEvent[]): void {
    const text = this.#warning.join(' ').replace(LEARN_MORE, '').trim();
    this.#warning = [];
    this.#mode = 'normal';
    const audit = AUDIT_WARNING.exec(text);
    if (!audit) {
      out.push(logEvent(text, 'stdout', 'WARNING'));
      return;
    }
    const failure: AuditFailure = { audit: audit[2] ?? '', args: null, failed_rows: Number(audit[3]), query: null };
    out.push({ type: 'audit_warning', model: (audit[1] ?? '').trim(), failure, message: text });
  }

  #flushNothing(out: SqlmeshEvent[]): void {
    if (this.#nothing !== null) out.push(this.#nothingToDo(this.#nothing, null));
    this.#nothing = null;
    this.#mode = 'normal';
  }

  #flushSkipped(out: SqlmeshEvent[]): void {
    if (this.#skipped.length > 0) out.push({ type: 'models_skipped', models: [...this.#skipped].sort() });
    this.#skipped = [];
    this.#mode = 'normal';
  }

  #flushFailed(out: SqlmeshEvent[]): void {
    const block = this.#failed;
    this.#failed = null;
    if (!block) return;
    const failed = this.#modelFailed(block);
    this.#failedModels.add(failed.model);
    out.push(failed);
  }

  #finishEvaluation(success: boolean, out: SqlmeshEvent[]): void {
    if (this.#evaluationFinished) return;
    this.#evaluationFinished = true;
    out.push({ type: 'evaluation_finished', success });
  }

  #nothingToDo(message: string, nextReadyAt: string | null): EventOf<'nothing_to_do'> {
    this.#sawNothing = true;
    return { type: 'nothing_to_do', message, next_ready_at: nextReadyAt };
  }

  /** The manifest name of an FQN (failed/skipped blocks) or display name (batch lines). */
  #modelName(printed: string): string {
    let name = this.#resolved.get(printed);
    if (name === undefined) {
      name = this.#names.get(printed) ?? this.#namesByParts.get(nameParts(printed).slice(-2).join('\u0000')) ?? stripFqn(printed);
      // As many entries as the run has models: every batch line of a model resolves once.
      this.#resolved.set(printed, name);
    }
    return name;
  }

  #batch(line: string, matched?: RegExpExecArray): EventOf<'batch_evaluated'> {
    const { printed, ...batch } = parseBatchLine(line, matched);
    return { type: 'batch_evaluated', model: this.#modelName(printed), ...batch };
  }

  #modelFailed(block: FailedBlock): EventOf<'model_failed'> {
    return {
      type: 'model_failed',
      model: this.#modelName(block.fqn),
      interval: null,
      batch_index: null,
      ...parseFailureBlock(block.lines),
    };
  }

  #runFinished(exitCode: number | null | undefined): EventOf<'run_finished'> {
    const finished = (status: EventOf<'run_finished'>['status'], message: string | null = null): EventOf<'run_finished'> => ({
      type: 'run_finished',
      status,
      message,
      error_class: null,
    });
    const ownErrors = this.errors.filter((e) => e !== 'Run failed.');
    if (exitCode === 0) return finished(this.#sawNothing && !this.#sawRunFinished ? 'nothing_to_do' : 'success');
    if (exitCode === 1 && (this.errors.includes('Run failed.') || (this.#sawFailure && ownErrors.length === 0))) {
      return finished('failed', 'Run failed.');
    }
    return finished('error', ownErrors[ownErrors.length - 1] ?? (exitCode == null ? 'terminated' : `exit code ${exitCode}`));
  }
}
