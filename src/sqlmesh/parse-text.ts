import type { AuditFailure, EventOf, ExecutionStats, Interval, SqlmeshEvent } from '../contracts/console-events.js';
import { SqlmeshPipesError } from '../errors.js';
import { isErrorLine, logEvent } from './parse-json.js';

/**
 * The text fallback: turns the unmodified `sqlmesh run` CLI output (Markdown console when piped,
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

// A model name as SQLMesh displays it: dotted parts, each bare or "quoted" (spaces and "" inside).
const NAME = String.raw`(?:"(?:[^"]|"")*"|[^\s".\[]+)(?:\.(?:"(?:[^"]|"")*"|[^\s".\[]+))*`;
const BATCH_START = /^\[\s*\d+\/\d+\]/;
const BATCH = new RegExp(String.raw`^\[\s*(\d+)\/(\d+)\]\s+(${NAME})\s+\[(.*)\]\s+(\d+(?:\.\d+)?)s$`);
const BATCH_NO_DURATION = new RegExp(String.raw`^\[\s*(\d+)\/(\d+)\]\s+(${NAME})\s+\[(.*)\]$`);
// The progress bar SQLMesh prints once evaluation ends: `Executing model batches ━━━ 100.0% • 3/3 • 0:00:00`.
const PROGRESS_COUNT = /^Executing model batches\b.*?(\d+)\/(\d+)/;
const EXECUTED = /^(?:✔\s*)?Model batches executed$/;
const PROGRESS = /^(Executing model batches|Auditing models)\b/;
const SKIPPED_HEADER = /^(?:\*\*)?Skipped models(?:\*\*)?$/;
const FAILED_HEADER = /^(?:\*\*)?Failed models(?:\*\*)?$/;
const MARKDOWN_ITEM = /^\* `(.+)`$/;
const FENCE = /^```$/;
const WARNING = /^\[WARNING\]\s?(.*)$/;
const LEARN_MORE = /\s*Learn more in logs:.*$/s;
const AUDIT_WARNING = /^(\S.*?): '(.+)' audit error: (\d+) rows? failed\.?$/;
const AUDIT_ERROR = /^'(.+)' audit error: (\d+) rows? failed$/;
const CLASS_LINE = /^([A-Za-z_][\w.]*):$/;
const NOTHING = /^No models are ready to run\b/;
const NEXT_READY = /^Next run will be ready at (?:.*\()?(\d{4}-\d\d-\d\d) (\d\d):(\d\d)([AP]M) UTC\)?\.?$/;
const RUN_FINISHED = /^Run finished for environment '(.+)'$/;
const ERROR = /^Error: (.*)$/;
const STATS = /\s*\(([^()]*(?:rows?|B|Bytes?|KiB|MiB|GiB|TiB|PiB))\)$/;
const AUDITS = /,\s*audits((?:\s+(?:✔|passed\s*)\d+)?)((?:\s+(?:❌|failed\s*)\d+)?)\s*$/;

// First characters of every line construct above (batch, ✔/Model, **/Skipped/Failed, [WARNING],
// No models, Run finished, Error:, Executing/Auditing); anything else is a plain log line.
const CONSTRUCT_FIRST_CHARS = new Set(['[', '✔', 'M', '*', 'S', 'F', 'N', 'R', 'E', 'A']);

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
    return [...live, ...this.#vouched(), this.#runFinished(exitCode)];
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

  /**
   * A Python model may print lines that look exactly like SQLMesh's batch lines. The held batch
   * events are checked against what only SQLMesh states at the end — the models it lists as
   * failed or skipped, and how many batches it executed — and in doubt dropped, with the reason.
   */
  #vouched(): SqlmeshEvent[] {
    const batches = this.#held.filter((event): event is EventOf<'batch_evaluated'> => event.type === 'batch_evaluated');
    const skipped = new Set(this.#held.flatMap((event) => (event.type === 'models_skipped' ? event.models : [])));
    const doubts = new Map<string, string>();
    const seen = new Map<string, Set<number>>();
    for (const batch of batches) {
      const indexes = seen.get(batch.model) ?? new Set<number>();
      if (indexes.has(batch.batch_index))
        doubts.set(batch.model, `batch ${batch.batch_index + 1}/${batch.batch_count ?? '?'} was printed twice`);
      indexes.add(batch.batch_index);
      seen.set(batch.model, indexes);
      if (skipped.has(batch.model) && !this.#failedModels.has(batch.model))
        doubts.set(batch.model, 'SQLMesh lists it among the skipped models');
      if (this.#failedModels.has(batch.model) && (batch.batch_count ?? 1) <= 1)
        doubts.set(batch.model, 'SQLMesh lists its only batch as failed');
    }
    // SQLMesh's progress count covers failed batches too, which print no line.
    const expected = this.#executedBatches === null ? null : this.#executedBatches - this.#failedModels.size;
    const count = () => [...seen.entries()].filter(([model]) => !doubts.has(model)).reduce((sum, [, indexes]) => sum + indexes.size, 0);
    if (expected !== null && count() > expected && this.#knownNodes) {
      // More lines than batches: lines naming no node of the project cannot be SQLMesh's.
      for (const model of seen.keys()) if (!this.#knownNodes.has(model)) doubts.set(model, 'no model of the project has this name');
    }
    const lines = count();
    const tooMany = expected !== null && lines > expected;
    const unverified: Record<string, string> = {};
    if (tooMany) {
      const why = `the output has ${lines} batch lines, but SQLMesh executed ${expected} batch(es) successfully: its lines cannot be told apart`;
      for (const model of [...seen.keys()].sort()) unverified[model] = doubts.get(model) ?? why;
    } else {
      for (const [model, why] of [...doubts].sort()) unverified[model] = why;
    }
    const out: SqlmeshEvent[] = [];
    for (const event of this.#held) {
      if (event.type === 'batch_evaluated' && event.model in unverified) continue;
      out.push(event);
    }
    if (Object.keys(unverified).length > 0) out.push({ type: 'batches_unverified', models: unverified });
    return out;
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
        if (trimmed !== '' && !this.#startsConstruct(trimmed)) {
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
        if (!this.#nothingParagraphDone && !this.#startsConstruct(trimmed)) {
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

  #startsConstruct(trimmed: string): boolean {
    if (!CONSTRUCT_FIRST_CHARS.has(trimmed.charAt(0))) return false;
    return (
      BATCH_START.test(trimmed) ||
      EXECUTED.test(trimmed) ||
      PROGRESS.test(trimmed) ||
      SKIPPED_HEADER.test(trimmed) ||
      FAILED_HEADER.test(trimmed) ||
      WARNING.test(trimmed) ||
      NOTHING.test(trimmed) ||
      RUN_FINISHED.test(trimmed) ||
      ERROR.test(trimmed)
    );
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
    if (/^ {2}\S/.test(text) && !this.#startsConstruct(trimmed)) {
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
    if (/^ {2}\S/.test(text) && !this.#startsConstruct(trimmed)) {
      // Terminal console: the model's quoted FQN at indent 2, its message at indent 4 and deeper.
      this.#flushFailed(out);
      this.#failed = { fqn: trimmed, lines: [] };
      return true;
    }
    if (/^ {4}/.test(text) && this.#failed) {
      this.#failedContent(text);
      return true;
    }
    if (this.#failed && !this.#startsConstruct(trimmed)) {
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
    out.push({ type: 'audit_warning', model: audit[1] ?? '', failure, message: text });
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
    const match = matched ?? BATCH.exec(line);
    if (!match) throw new SqlmeshPipesError(`not a batch line: ${line}`);
    const [, index, count, printed, inner, seconds] = match as unknown as [string, string, string, string, string, string];
    const model = this.#modelName(printed);
    let annotation = inner;
    let passed = 0;
    let failed = 0;
    const audits = annotation.includes('audits') ? AUDITS.exec(annotation) : null;
    if (audits) {
      passed = Number(/\d+/.exec(audits[1] ?? '')?.[0] ?? 0);
      failed = Number(/\d+/.exec(audits[2] ?? '')?.[0] ?? 0);
      annotation = annotation.slice(0, audits.index);
    }
    let executionStats: ExecutionStats | null = null;
    const stats = annotation.endsWith(')') ? STATS.exec(annotation) : null;
    if (stats) {
      executionStats = parseStats(stats[1] ?? '');
      annotation = annotation.slice(0, stats.index);
    }
    annotation = annotation.trim();
    return {
      type: 'batch_evaluated',
      model,
      node: annotation.startsWith('run standalone audit') ? 'audit' : annotation.startsWith('run external audits') ? 'external' : 'model',
      interval: parseInterval(annotation),
      batch_index: Number(index) - 1,
      batch_count: Number(count),
      duration_ms: Math.round(Number(seconds) * 1000),
      audits_passed: passed,
      audits_failed: failed,
      annotation: annotation === '' ? null : annotation,
      execution_stats: executionStats,
    };
  }

  #modelFailed(block: FailedBlock): EventOf<'model_failed'> {
    const lines = [...block.lines];
    while (lines.length > 0 && (lines[lines.length - 1] ?? '').trim() === '') lines.pop();
    while (lines.length > 0 && (lines[0] ?? '').trim() === '') lines.shift();
    const base = {
      type: 'model_failed' as const,
      model: this.#modelName(block.fqn),
      interval: null,
      batch_index: null,
    };
    const first = (lines[0] ?? '').trim();
    if (AUDIT_ERROR.test(first)) {
      const failures = parseAuditFailures(lines);
      return {
        ...base,
        error_class: 'NodeAuditsErrors',
        message: `Audits failed: ${failures.map((f) => f.audit).join(', ')}`,
        audit_failures: failures,
      };
    }
    const cls = CLASS_LINE.exec(first);
    const body = cls ? lines.slice(1) : lines;
    const indent = cls ? 6 : 4;
    const message = body
      .map((l) => dedent(l, indent).trimEnd())
      .join('\n')
      .trim();
    return { ...base, error_class: cls ? (cls[1] ?? null) : null, message, audit_failures: [] };
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

/** The parts of a dotted name, quotes off: `"db"."my schema".t` → `['db', 'my schema', 't']`. */
export function nameParts(name: string): string[] {
  return [...name.matchAll(/"((?:[^"]|"")*)"|([^."]+)/g)].map((m) => (m[1] !== undefined ? m[1].replaceAll('""', '"') : (m[2] ?? '')));
}

/**
 * `"db"."demo"."orders"` → `demo.orders`, `"db"."my schema"."t"` → `"my schema".t`: catalog
 * dropped, quotes kept only where a part needs them (how SQLMesh writes the name). The fallback
 * without a manifest map.
 */
export function stripFqn(fqn: string): string {
  const parts = nameParts(fqn);
  if (parts.length === 0) return fqn;
  return parts
    .slice(-2)
    .map((part) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(part) ? part : `"${part.replaceAll('"', '""')}"`))
    .join('.');
}

function dedent(line: string, width: number): string {
  let i = 0;
  while (i < width && line[i] === ' ') i++;
  return line.slice(i);
}

function parseAuditFailures(lines: string[]): AuditFailure[] {
  const failures: AuditFailure[] = [];
  let section: 'none' | 'args' | 'query' = 'none';
  let query: string[] = [];
  const close = () => {
    const last = failures[failures.length - 1];
    if (last && query.length > 0) last.query = query.join(' ');
    query = [];
  };
  for (const raw of lines) {
    const line = raw.trim();
    const audit = AUDIT_ERROR.exec(line);
    if (audit) {
      close();
      failures.push({ audit: audit[1] ?? '', args: {}, failed_rows: Number(audit[2]), query: null });
      section = 'none';
    } else if (line === 'Audit arguments') {
      section = 'args';
    } else if (line === 'Audit query') {
      section = 'query';
    } else if (line !== '' && section === 'args') {
      const arg = /^(\w+) := (.*)$/.exec(line);
      const last = failures[failures.length - 1];
      if (arg && last?.args) last.args[arg[1] ?? ''] = arg[2] ?? '';
    } else if (line !== '' && section === 'query') {
      query.push(line);
    }
  }
  close();
  return failures;
}

const DAY_MS = 86_400_000;

/** The interval in an `insert ...` annotation, [start, end) in ISO UTC; null for other kinds. */
export function parseInterval(annotation: string): Interval | null {
  if (!annotation.startsWith('insert ')) return null;
  const dates = /^insert (\d{4}-\d\d-\d\d) - (\d{4}-\d\d-\d\d)$/.exec(annotation);
  if (dates) return [`${dates[1]}T00:00:00Z`, dayAfter(dates[2] ?? '')];
  const sameDay = /^insert (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)-(\d\d:\d\d:\d\d)$/.exec(annotation);
  if (sameDay) {
    return [iso(Date.parse(`${sameDay[1]}T${sameDay[2]}Z`)), iso(Date.parse(`${sameDay[1]}T${sameDay[3]}Z`) + 1000)];
  }
  const times = /^insert (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) - (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)$/.exec(annotation);
  if (times) return [iso(Date.parse(`${times[1]}T${times[2]}Z`)), iso(Date.parse(`${times[3]}T${times[4]}Z`) + 1000)];
  return null;
}

// Daily models repeat the same few dates: remember the day after each (bounded).
const dayAfterCache = new Map<string, string>();

function dayAfter(day: string): string {
  let next = dayAfterCache.get(day);
  if (next === undefined) {
    next = iso(Date.parse(`${day}T00:00:00Z`) + DAY_MS);
    if (dayAfterCache.size > 10_000) dayAfterCache.clear();
    dayAfterCache.set(day, next);
  }
  return next;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function nextReadyIso(match: RegExpExecArray): string {
  const [, day, hh, mm, ampm] = match as unknown as [string, string, string, string, string];
  let hour = Number(hh) % 12;
  if (ampm === 'PM') hour += 12;
  return `${day}T${String(hour).padStart(2, '0')}:${mm}:00Z`;
}

const METRIC: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };
const BINARY: Record<string, number> = {
  B: 1,
  Byte: 1,
  Bytes: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  PiB: 1024 ** 5,
};

/** `1.2k rows, 3.4 KiB` → approximate numbers (the text console rounds them). */
function parseStats(text: string): ExecutionStats {
  const rows = /(\d+(?:\.\d+)?)([kMGTP]?) rows?/.exec(text);
  const bytes = /(\d+(?:\.\d+)?) (Bytes?|B|KiB|MiB|GiB|TiB|PiB)\b/.exec(text);
  return {
    total_rows_processed: rows ? Math.round(Number(rows[1]) * (METRIC[rows[2] ?? ''] ?? 1)) : null,
    total_bytes_processed: bytes ? Math.round(Number(bytes[1]) * (BINARY[bytes[2] ?? ''] ?? 1)) : null,
  };
}
