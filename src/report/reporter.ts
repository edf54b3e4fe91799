import type { Interval, SqlmeshEvent } from '../contracts/console-events.js';
import type { ManifestModel } from '../contracts/manifest.js';
import type { SelectedCheck } from '../contracts/run-extras.js';
import { type ManifestDrift, type ModelOutcome, RUN_SUMMARY_KIND, type RunSummary } from '../contracts/run-summary.js';
import type { ManifestNode } from '../sqlmesh/manifest.js';
import { auditOutcomes } from './audits.js';
import { type MetadataMap, md } from './metadata.js';
import { type CheckIntent, checkResult, materializationMetadata } from './result-metadata.js';
import {
  applyEvent,
  createRunState,
  evaluationMs,
  isComplete,
  isMaterialized,
  isPartial,
  type ModelRun,
  type RunState,
} from './run-state.js';
import {
  driftText,
  failedReason,
  failureText,
  liveLog,
  notDueReason,
  notRunReason,
  partialReason,
  REGENERATE,
  SKIPPED_REASON,
  unverifiedReason,
} from './wording.js';

/** Where the reporter sends what it decides: Pipes (or the mock context) behind a small interface. */
export interface ReportSink {
  /** Same argument order as the Pipes logger's `log(level, message)`; may reach Dagster grouped with its neighbours. */
  log(level: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR', message: string): void;
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
  /** Every node of the manifest by name (models, external models, standalone audits). */
  readonly nodes: ReadonlyMap<string, ManifestNode>;
}

type CheckLine = { name: string; passed: boolean; severity: 'ERROR' | 'WARN' };

/** One model's final line in the summary. */
export interface ModelSummary {
  readonly model: string;
  readonly assetKey: string | null;
  readonly outcome: ModelOutcome;
  readonly reason: string | null;
  readonly errorClass: string | null;
  readonly batches: number;
  readonly durationMs: number;
  readonly checks: readonly CheckLine[];
}

/**
 * Turns the event stream of one `sqlmesh run` into reports, truthfully: a model is materialized
 * exactly when SQLMesh committed some of its batches in this run (partially, with the failed
 * batches named, when others failed), each audit SQLMesh evaluated becomes a check result, and
 * every success is reported before the failure summary.
 */
export class Reporter {
  readonly #sink: ReportSink;
  readonly #scope: RunScope;
  readonly #state: RunState = createRunState();
  readonly #reported = new Set<string>();
  readonly #checksReported = new Map<string, CheckLine[]>();
  /** Nodes (not assets) whose checks are in scope: external models and standalone audits. */
  readonly #checkNodes: ReadonlySet<string>;
  /** The selected checks of each node, in scope order. */
  readonly #checksOf = new Map<string, SelectedCheck[]>();

  constructor(sink: ReportSink, scope: RunScope) {
    this.#sink = sink;
    this.#scope = scope;
    this.#checkNodes = new Set(scope.checks.map((check) => check.model).filter((node) => !scope.assetKeys.has(node)));
    for (const check of scope.checks) {
      const checks = this.#checksOf.get(check.model);
      if (checks) checks.push(check);
      else this.#checksOf.set(check.model, [check]);
    }
  }

  /** Handle one event live: log it, and report a node as soon as all its batches have an outcome. */
  handle(event: SqlmeshEvent): void {
    const model = applyEvent(this.#state, event);
    const log = liveLog(event);
    if (log) this.#sink.log(log.level, log.message);
    if (model !== null) {
      const run = this.#state.models.get(model);
      if (run && isComplete(run)) this.#reportModel(run);
    }
  }

  /** Whether an event already says why the run failed: a model failure or SQLMesh's own error. */
  get hasFailure(): boolean {
    return this.#state.finished?.status === 'error' || [...this.#state.models.values()].some((run) => run.failures.length > 0);
  }

  /**
   * End of run: report what remains, explain every model in scope, and return the summary.
   * `runError` is a failure of the run itself (SQLMesh error, crash) that no model event carries.
   */
  finish(durationMs: number, runError: string | null = null): { summary: RunSummary; models: ModelSummary[] } {
    for (const run of this.#state.models.values()) {
      if (isMaterialized(run) || run.failures.length > 0 || run.skipped) this.#reportModel(run);
    }
    const drift = this.#drift();
    if (drift) this.#sink.log('WARNING', driftText(drift));
    const finished = this.#state.finished;
    const ownError = runError ?? (finished?.status === 'error' ? (finished.message ?? 'SQLMesh run failed') : null);
    const models = [...this.#scope.assetKeys.keys()].map((model) => this.#summarize(model, ownError));
    for (const line of models) {
      if (line.outcome === 'partial') this.#sink.log('ERROR', `${line.model}: partially materialized — ${line.reason}`);
      else if (line.outcome !== 'materialized' && line.outcome !== 'failed')
        this.#sink.log('INFO', `${line.model}: not materialized — ${line.reason}`);
    }
    const failed = models.filter((line) => line.outcome === 'failed' || line.outcome === 'partial');
    const blocks = [...failed.map((line) => `${line.model}: ${line.reason}`), ...this.#otherFailures()];
    if (blocks.length > 0) this.#sink.log('ERROR', `SQLMesh run failed for ${blocks.length} node(s):\n${blocks.join('\n\n')}`);
    if (ownError !== null) {
      blocks.push(ownError);
      this.#sink.log('ERROR', `SQLMesh run failed: ${ownError}`);
    }
    const error = blocks.length === 0 ? null : blocks.join('\n\n');
    const status =
      error !== null
        ? 'failed'
        : this.#state.nothingToDo && !models.some((m) => m.outcome === 'materialized')
          ? 'nothing_to_do'
          : 'success';
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
      manifest_drift: drift,
      duration_ms: Math.round(durationMs),
    };
    this.#sink.custom(summary);
    return { summary, models };
  }

  /**
   * Failures of nodes that are not assets of this step: an external model or standalone audit
   * (its audits could not run), or a model the manifest does not know. Each fails the run: SQLMesh
   * failed, whatever this step selected.
   */
  #otherFailures(): string[] {
    return [...this.#state.models.values()].flatMap((run) => {
      if (run.failures.length === 0 || this.#scope.assetKeys.has(run.model)) return [];
      const text = run.failures.map((failure) => failureText(failure)).join('\n');
      if (this.#checkNodes.has(run.model)) return [`${run.model}: ${text}`];
      if (this.#scope.nodes.has(run.model)) return [`${run.model} (not selected in this step): ${text}`];
      return [`${run.model} (not in the manifest — ${REGENERATE}): ${text}`];
    });
  }

  /** Models SQLMesh ran that the manifest does not know, and models in scope it defines otherwise. */
  #drift(): ManifestDrift | null {
    const unknown = [...this.#state.models.values()]
      .filter((run) => (run.batches.length > 0 || run.failures.length > 0) && !this.#scope.nodes.has(run.model))
      .map((run) => run.model)
      .sort();
    const byFqn = this.#state.environment?.fingerprints ?? {};
    const inScope = new Set([...this.#scope.assetKeys.keys(), ...this.#checkNodes]);
    const changed = [...inScope]
      .filter((name) => {
        const node = this.#scope.nodes.get(name);
        if (!node?.fingerprint) return false;
        const actual = this.#state.models.get(name)?.fingerprint ?? byFqn[node.fqn ?? name];
        return actual !== undefined && actual !== null && actual !== node.fingerprint;
      })
      .sort();
    return unknown.length === 0 && changed.length === 0 ? null : { unknown_models: unknown, changed_models: changed };
  }

  #reportModel(run: ModelRun): void {
    if (this.#reported.has(run.model)) return;
    this.#reported.add(run.model);
    const model = this.#scope.models.get(run.model);
    const assetKey = this.#scope.assetKeys.get(run.model);
    if (assetKey !== undefined && isMaterialized(run)) {
      const metadata = materializationMetadata(run, model);
      // Intervals SQLMesh had and processed again, on request: a restatement plan, not a run.
      if (this.#state.started?.restated_models) metadata['sqlmesh/restatement'] = md.bool(true);
      this.#sink.materialize(assetKey, metadata);
    }
    const audits = this.#scope.nodes.get(run.model)?.audits ?? model?.audits;
    if (!audits) return;
    const outcomes = auditOutcomes(run, audits);
    // A model evaluated without its asset in scope was only audited in place (checks-only selection).
    const inPlace = assetKey === undefined && run.node === 'model' && this.#scope.models.has(run.model) ? auditedIntervals(run) : null;
    const reported: CheckLine[] = [];
    for (const check of this.#checksOf.get(run.model) ?? []) {
      const outcome = outcomes.find((o) => o.auditIndex === check.audit_index);
      if (!outcome) continue;
      const result = checkResult(outcome, audits[outcome.auditIndex], inPlace);
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
    if (run && isPartial(run))
      return { ...base, outcome: 'partial', reason: partialReason(run), errorClass: run.failures[0]?.error_class ?? null };
    if (run && run.failures.length > 0)
      return { ...base, outcome: 'failed', reason: failedReason(run), errorClass: run.failures[0]!.error_class };
    if (run?.skipped) return { ...base, outcome: 'skipped', reason: SKIPPED_REASON, errorClass: null };
    if (run?.unverified) return { ...base, outcome: 'unverified', reason: unverifiedReason(run.unverified), errorClass: null };
    if (run && isMaterialized(run)) return { ...base, outcome: 'materialized', reason: null, errorClass: null };
    // A run that failed as a whole says nothing about whether the model was due.
    if (runError !== null) return { ...base, outcome: 'not_run', reason: notRunReason(runError), errorClass: null };
    return { ...base, outcome: 'not_due', reason: notDueReason(this.#state.nothingToDo ?? null), errorClass: null };
  }
}

/** Every interval SQLMesh audited for a node, in order: its successful and its failed batches. */
function auditedIntervals(run: ModelRun): Interval[] {
  const intervals = [...run.batches, ...run.failures].flatMap((batch) => (batch.interval ? [batch.interval] : []));
  return intervals.sort(([a], [b]) => a.localeCompare(b));
}
