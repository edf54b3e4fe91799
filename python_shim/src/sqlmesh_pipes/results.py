"""Turning one executor invocation into Dagster results, log lines and (maybe) a step failure.

The executor reports materializations and check results over Pipes and, last, a run summary
as a custom message (``src/contracts/run-summary.ts``) in which it words each model's outcome:
this module shows those words and never words an outcome itself. Under Pipes, model failures
exit 0 and are carried by the summary, so everything reported survives; this module then fails
the step with SQLMesh's own error text AFTER the results were yielded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetCheckResult,
    AssetKey,
    AssetMaterialization,
    DagsterEventType,
    DagsterLogManager,
    Failure,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
)

from sqlmesh_pipes_contracts import (
    MODEL_OUTCOME_VALUES,
    OUTCOME_LABELS,
    RUN_SUMMARY_KIND,
    ContractError,
    RunSummary,
    RunSummaryModel,
    read_run_summary,
)

from . import errors
from .time_partitions import partition_materializations

_FAILED_OUTCOMES = ("failed", "partial")


class RunSummaryError(errors.SQLMeshPipesExecutorError):
    """The executor's run summary does not match the contract (an executor of another release)."""


def parse_run_summary(payload: Any) -> RunSummary:
    """Read a run summary payload strictly (``src/contracts/run-summary.ts``)."""
    try:
        return read_run_summary(payload)
    except ContractError as e:
        raise RunSummaryError(errors.RUN_SUMMARY_INVALID.format(where=e.where, problem=e.problem)) from None


def find_run_summary(custom_messages: Sequence[Any]) -> RunSummary | None:
    """The last run summary among the invocation's custom messages (others are ignored)."""
    for payload in reversed(custom_messages):
        if isinstance(payload, dict) and payload.get("kind") == RUN_SUMMARY_KIND:
            return parse_run_summary(payload)
    return None


def failed_models(summary: RunSummary) -> tuple[RunSummaryModel, ...]:
    """Models whose evaluation failed, including the partially materialized ones."""
    return tuple(m for m in summary.models if m.outcome in _FAILED_OUTCOMES)


Reported = MaterializeResult | AssetCheckResult


class ResultGate:
    """What the step may yield, decided result by result as the executor reports them.

    Dagster rejects a result for an unselected asset or check and a second result for the same
    output, and a buggy report must not turn a good run into a failed step, so those are logged and
    dropped. Dagster also rejects a multi-asset output yielded after one of its dependents; the
    executor reports upstream first (SQLMesh finishes upstream first), and should a late upstream
    report still come, it is recorded as an ``AssetMaterialization`` event instead of an output,
    so nothing SQLMesh did is lost. Checks pass through as they come (each after its asset).
    """

    def __init__(
        self,
        *,
        selected_asset_keys: Iterable[AssetKey],
        selected_check_keys: Iterable[AssetCheckKey],
        asset_deps: Mapping[AssetKey, Iterable[AssetKey]],
        log: DagsterLogManager,
    ) -> None:
        self._assets = set(selected_asset_keys)
        self._checks = set(selected_check_keys)
        self._children: dict[AssetKey, set[AssetKey]] = {}
        for key, deps in asset_deps.items():
            for dep in deps:
                self._children.setdefault(dep, set()).add(key)
        self._log = log
        self.materialized: dict[AssetKey, MaterializeResult] = {}
        self.checked: dict[AssetCheckKey, AssetCheckResult] = {}

    def admit(
        self, result: MaterializeResult | AssetCheckResult
    ) -> MaterializeResult | AssetCheckResult | AssetMaterialization | None:
        """The result to yield for ``result`` (possibly as an event), or None to drop it."""
        if isinstance(result, MaterializeResult):
            key = result.asset_key
            if key not in self._assets:
                self._log.warning(
                    f"Ignoring a materialization reported for unselected asset {key.to_user_string()}."
                )
                return None
            if key in self.materialized:
                self._log.warning(f"{key.to_user_string()} was reported twice: keeping the first report.")
                return None
            if any(child in self.materialized for child in self._children.get(key, ())):
                self.materialized[key] = result
                self._log.warning(
                    f"{key.to_user_string()} was reported after a model downstream of it: recorded as a "
                    "materialization event (Dagster takes multi-asset outputs in dependency order only)."
                )
                return AssetMaterialization(asset_key=key, metadata=result.metadata)
            self.materialized[key] = result
            return result
        check_key = AssetCheckKey(result.asset_key, result.check_name)  # type: ignore[arg-type]
        if check_key not in self._checks:
            self._log.warning(
                f"Ignoring a result reported for unselected check {check_key.to_user_string()}."
            )
            return None
        if check_key in self.checked:
            self._log.warning(
                f"Check {check_key.to_user_string()} was reported twice: keeping the first report."
            )
            return None
        self.checked[check_key] = result
        return result


def _in_event_log(context: Any) -> tuple[set[AssetKey], set[AssetCheckKey]]:
    """The assets materialized and checks evaluated so far according to the run's event log."""
    logs, run_id = context.instance.all_logs, context.run.run_id
    materialized = {
        record.dagster_event.asset_key
        for record in logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
        if record.dagster_event is not None
    }
    checked = set()
    for record in logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        data = record.dagster_event.event_specific_data if record.dagster_event is not None else None
        if isinstance(data, AssetCheckEvaluation):
            checked.add(data.asset_check_key)
    return materialized, checked


def as_event(result: Reported | AssetMaterialization) -> AssetMaterialization | AssetCheckEvaluation:
    """A result as the event it stands for, for ``context.log_event`` (when it cannot be yielded)."""
    if isinstance(result, AssetCheckResult):
        return AssetCheckEvaluation(
            asset_key=result.asset_key,  # type: ignore[arg-type]
            check_name=result.check_name,  # type: ignore[arg-type]
            passed=result.passed,
            metadata=result.metadata or {},
            severity=result.severity,
            description=result.description,
        )
    if isinstance(result, MaterializeResult):
        return AssetMaterialization(asset_key=result.asset_key, metadata=result.metadata)  # type: ignore[arg-type]
    return result


def record_as_events(
    late: Iterable[Reported],
    gate: ResultGate,
    context: Any,
    partitioned: Mapping[AssetKey, PartitionsDefinition] | None = None,
) -> None:
    """Record what the step can no longer yield (it ended while the executor stopped) as events.

    ``late``: what the executor reported after the step stopped listening. Results already handed
    over can be missing too: an interruption raised while Dagster type-checks a check's output
    drops that check's evaluation. Each lands in the run's event log like a yielded one; only the
    step's outputs cannot be set any more. A ``partitioned`` asset gets one event per partition
    SQLMesh evaluated.
    """
    materialized, checked = _in_event_log(context)
    dropped = [r for key, r in gate.materialized.items() if key not in materialized]
    dropped += [r for key, r in gate.checked.items() if key not in checked]
    admitted = [gate.admit(result) for result in late]
    events: list[AssetMaterialization | AssetCheckEvaluation] = []
    for result in [*dropped, *admitted]:
        if isinstance(result, MaterializeResult) and partitioned and result.asset_key in partitioned:
            events.extend(partition_materializations(result, partitioned[result.asset_key]))
        elif result is not None:
            events.append(as_event(result))
    for event in events:
        context.log_event(event)
    if events:
        again = (
            f" ({len(dropped)} handed over but dropped by Dagster when the step was interrupted)"
            if dropped
            else ""
        )
        context.log.warning(
            f"sqlmesh-pipes: the step ended while SQLMesh was stopping; {len(events)} result(s) of what "
            f"SQLMesh finished are recorded as events{again}."
        )


def log_outcomes(
    summary: RunSummary,
    *,
    log: DagsterLogManager,
    model_by_key: dict[str, str],
    reported_keys: set[str],
) -> None:
    """Say why selected models were not materialized: one INFO line for the run, details at DEBUG.

    The executor already logs each model's outcome live over Pipes, so the per-model lines here
    are DEBUG; the summary line names every model per outcome, so nothing is lost at INFO.
    """
    by_outcome: dict[str, list[str]] = {outcome: [] for outcome in MODEL_OUTCOME_VALUES}
    for entry in summary.models:
        by_outcome[entry.outcome].append(entry.model)
        if entry.outcome in ("materialized", "partial"):
            if entry.asset_key is not None and entry.asset_key not in reported_keys:
                log.warning(f"SQLMesh model {entry.model} was evaluated but no materialization was reported.")
            continue
        log.debug(
            f"SQLMesh model {entry.model} not materialized ({OUTCOME_LABELS[entry.outcome]}): {entry.reason}"
        )
    seen = {entry.model for entry in summary.models}
    silent = sorted(
        model for key, model in model_by_key.items() if model not in seen and key not in reported_keys
    )
    parts = [f"{len(by_outcome['materialized'])} materialized"]
    for outcome in ("partial", "not_due", "skipped", "not_run", "unverified", "failed"):
        if by_outcome[outcome]:
            parts.append(f"{OUTCOME_LABELS[outcome]}: {', '.join(sorted(by_outcome[outcome]))}")
    if silent:
        parts.append(f"no outcome reported: {', '.join(silent)}")
    drift = summary.manifest_drift
    if drift is not None:
        stale = sorted({*drift.unknown_models, *drift.changed_models})
        parts.append(f"manifest stale for: {', '.join(stale)} (regenerate it)")
    log.info(
        f"SQLMesh run {summary.status} in {summary.duration_ms / 1000:.1f} s — " + "; ".join(parts) + "."
    )


def log_unevaluated_checks(
    selected: Iterable[tuple[AssetCheckKey, str]],
    results: Iterable[MaterializeResult | AssetCheckResult],
    summary: RunSummary | None,
    *,
    log: DagsterLogManager,
) -> None:
    """Explain each selected check (``(key, model)``) without a result: SQLMesh audits a model only
    when it evaluates it, so a not-due or skipped model leaves its checks unevaluated."""
    evaluated = {
        AssetCheckKey(r.asset_key, r.check_name)
        for r in results
        if isinstance(r, AssetCheckResult) and r.asset_key is not None
    }
    outcomes = {m.model: m for m in summary.models} if summary is not None else {}
    for key, model in selected:
        if key not in evaluated:
            entry = outcomes.get(model)
            if entry is None:
                why = f"{model} was not part of the run"
            elif entry.reason:
                why = f"{model} was {OUTCOME_LABELS[entry.outcome]}: {entry.reason}"
            else:
                why = f"{model} was {OUTCOME_LABELS[entry.outcome]}"
            log.info(
                f"Check {key.to_user_string()} not evaluated: SQLMesh audits a model only when it "
                f"evaluates it, and {why}."
            )


def run_failure(summary: RunSummary | None) -> Failure | None:
    """The ``Failure`` to raise after the results were yielded, or None when the run succeeded."""
    if summary is None:
        return Failure(description=errors.RUN_NO_SUMMARY)
    if summary.status != "failed":
        return None
    failed = failed_models(summary)
    names = ", ".join(m.model for m in failed) or "(none listed)"
    error_text = (
        summary.error or "\n\n".join(m.reason for m in failed if m.reason) or "(SQLMesh gave no error text)"
    )
    return Failure(
        description=errors.RUN_FAILED.format(count=len(failed), models=names, error=error_text),
        metadata={
            "sqlmesh_pipes/failed_models": MetadataValue.json([m.model for m in failed]),
            "sqlmesh_pipes/duration_ms": MetadataValue.float(float(summary.duration_ms)),
        },
    )
