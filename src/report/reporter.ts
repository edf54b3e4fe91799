import type { SelectedCheck } from '../extras.js';
import type { SqlmeshEvent } from '../sqlmesh/events.js';
import type { ManifestModel } from '../sqlmesh/manifest-schema.js';
import { auditOutcomes } from './audits.js';
import { type CheckIntent, checkResult, failureText, liveLog, materializationMetadata } from './messages.js';
import type { MetadataMap } from './metadata.js';
import { RUN_SUMMARY_KIND, type ModelOutcome, type RunSummary } from './run-summary.js';
import { applyEvent, createRunState, evaluationMs, isComplete, isMaterialized, type ModelRun, type RunState } from './run-state.js';

/** Where the reporter sends what it decides: Pipes (or the mock context) behind a small interface. */
export interface ReportSink {
  log(message: string, level: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR'): void;
  materialize(assetKey: string, metadata: MetadataMap): void;
  check(assetKey: string, checkName: string, result: CheckIntent): void;
  custom(payload: unknown): void;
}

/** What this run is responsible for reporting. */
export interface RunScope {
  /** Models whose materialization is reported, by model name → asset key. */
  readonly assetKeys: ReadonlyMap<string, string>;
  /** Checks to report (a check not listed is never reported). */
  readonly checks: readonly SelectedCheck[];
  /** Manifest entries by model name. */
  readonly models: ReadonlyMap<string, ManifestModel>;
}

/** One model's final line in the summary. */
export interface ModelSummary {
  readonly model: string;
  readonly assetKey: string | null;
  readonly outcome: ModelOutcome;
  readonly reason: string | null;
  readonly errorClass: string | null;
  readonly batches: number;
  readonly durationMs: number;
  readonly checks: readonly { name: string; passed: boolean; severity: 'ERROR' | 'WARN' }[];
}

/**
 * Turns the event stream of one `sqlmesh run` into reports, truthfully: a model is materialized
 * only when SQLMesh evaluated it successfully, each audit SQLMesh evaluated becomes a check result,
 * and every success is reported before the failure summary.
 */
export class Reporter {
  readonly #sink: ReportSink;
  readonly #scope: RunScope;
  readonly #state: RunState = createRunState();
  readonly #reported = new Set<string>();
  readonly #checksReported = new Map<string, { name: string; passed: boolean; severity: 'ERROR' | 'WARN' }[]>();

  constructor(sink: ReportSink, scope: RunScope) {
    this.#sink = sink;
    this.#scope = scope;
  }

  /** Handle one event live: log it, and report a model as soon as all its batches succeeded. */
  handle(event: SqlmeshEvent): void {
    const model = applyEvent(this.#state, event);
    const log = liveLog(event);
    if (log) this.#sink.log(log.message, log.level);
    if (model !== null) {
      const run = this.#state.models.get(model);
      if (run && isComplete(run)) this.#reportModel(run);
    }
  }

  /**
   * End of run: report what remains, explain every model in scope, and return the summary.
   * `runError` is a failure of the run itself (SQLMesh error, crash) that no model event carries.
   */
  finish(durationMs: number, runError: string | null = null): { summary: RunSummary; models: ModelSummary[] } {
    for (const run of this.#state.models.values()) {
      if (isMaterialized(run) || run.failure) this.#reportModel(run);
    }
    const finished = this.#state.finished;
    const ownError = runError ?? (finished?.status === 'error' ? (finished.message ?? 'SQLMesh run failed') : null) ?? this.#failuresOutOfScope();
    const models = [...this.#scope.assetKeys.keys()].map((model) => this.#summarize(model, ownError));
    for (const line of models) {
      if (line.outcome !== 'materialized' && line.outcome !== 'failed') this.#sink.log(`${line.model}: not materialized — ${line.reason}`, 'INFO');
    }
    const failed = models.filter((line) => line.outcome === 'failed');
    const blocks = failed.map((line) => `${line.model}: ${line.reason}`);
    if (ownError !== null) blocks.push(ownError);
    const error = blocks.length === 0 ? null : blocks.join('\n\n');
    if (failed.length > 0) this.#sink.log(`SQLMesh run failed for ${failed.length} model(s):\n${blocks.slice(0, failed.length).join('\n\n')}`, 'ERROR');
    if (ownError !== null) this.#sink.log(`SQLMesh run failed: ${ownError}`, 'ERROR');
    const status = error !== null ? 'failed' : this.#state.nothingToDo && !models.some((m) => m.outcome === 'materialized') ? 'nothing_to_do' : 'success';
    const summary: RunSummary = {
      kind: RUN_SUMMARY_KIND,
      exit_code: error !== null ? 1 : 0,
      status,
      models: models.map((line) => ({
        model: line.model,
        asset_key: line.assetKey,
        outcome: line.outcome,
        reason: line.reason,
        error_class: line.errorClass,
      })),
      error,
      duration_ms: Math.round(durationMs),
    };
    this.#sink.custom(summary);
    return { summary, models };
  }

  /** SQLMesh failed models this step does not report (a stale manifest): the run still failed. */
  #failuresOutOfScope(): string | null {
    const what = [...this.#state.models.values()].flatMap((run) =>
      run.failure && !this.#scope.assetKeys.has(run.model) ? [`${run.model}: ${failureText(run.failure)}`] : [],
    );
    if (what.length === 0) return null;
    return `SQLMesh failed model(s) outside this step (not in the manifest's selection — regenerate the manifest if they are new):\n${what.join('\n')}`;
  }

  #reportModel(run: ModelRun): void {
    if (this.#reported.has(run.model)) return;
    this.#reported.add(run.model);
    const model = this.#scope.models.get(run.model);
    const assetKey = this.#scope.assetKeys.get(run.model);
    if (assetKey !== undefined && isMaterialized(run)) this.#sink.materialize(assetKey, materializationMetadata(run, model));
    if (!model) return;
    const outcomes = auditOutcomes(run, model);
    const reported: { name: string; passed: boolean; severity: 'ERROR' | 'WARN' }[] = [];
    for (const check of this.#scope.checks) {
      if (check.model !== run.model) continue;
      const outcome = outcomes.find((o) => o.auditIndex === check.audit_index);
      if (!outcome) continue;
      const result = checkResult(outcome, model);
      this.#sink.check(check.asset_key, check.check_name, result);
      reported.push({ name: check.check_name, passed: result.passed, severity: result.severity });
    }
    this.#checksReported.set(run.model, reported);
  }

  #summarize(name: string, runError: string | null): ModelSummary {
    const run = this.#state.models.get(name);
    const base = {
      model: name,
      assetKey: this.#scope.assetKeys.get(name) ?? null,
      batches: run?.batches.length ?? 0,
      durationMs: run ? evaluationMs(run) : 0,
      checks: this.#checksReported.get(name) ?? [],
    };
    if (run?.failure) {
      const failure = run.failure;
      return { ...base, outcome: 'failed', reason: failureText(failure), errorClass: failure.error_class };
    }
    if (run?.skipped) return { ...base, outcome: 'skipped', reason: 'skipped by SQLMesh because an upstream model failed', errorClass: null };
    if (run && isMaterialized(run)) return { ...base, outcome: 'materialized', reason: null, errorClass: null };
    // A run that failed as a whole says nothing about whether the model was due.
    if (runError !== null) return { ...base, outcome: 'not_run', reason: `not evaluated: ${runError}`, errorClass: null };
    return { ...base, outcome: 'not_due', reason: this.#notDueReason(), errorClass: null };
  }

  #notDueReason(): string {
    const next = this.#state.nothingToDo?.next_ready_at;
    if (this.#state.nothingToDo) return `no interval was due in this run${next ? ` (SQLMesh: next run ready at ${next})` : ''}`;
    return 'no interval was due in this run (cron not elapsed or already up to date)';
  }
}
