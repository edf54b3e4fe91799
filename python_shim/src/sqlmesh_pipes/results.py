"""Turning one executor invocation into Dagster results, log lines and (maybe) a step failure.

The executor reports materializations and check results over Pipes and, last, a run summary
as a custom message (``src/report/run-summary.ts``). Under Pipes, model failures exit 0 and are
carried by the summary, so everything reported survives; this module then fails the step with
SQLMesh's own error text AFTER the results were yielded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from graphlib import TopologicalSorter
from typing import Any, Literal

from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetKey,
    DagsterLogManager,
    Failure,
    MaterializeResult,
    MetadataValue,
)

from . import errors

RUN_SUMMARY_KIND = "sqlmesh_pipes/run_summary"

Outcome = Literal["materialized", "failed", "skipped", "not_due", "not_run"]
_OUTCOMES = ("materialized", "failed", "skipped", "not_due", "not_run")
_STATUSES = ("success", "failed", "nothing_to_do")

_OUTCOME_LABEL = {"not_due": "not due", "skipped": "skipped", "failed": "failed", "not_run": "not run"}
_OUTCOME_TEXT = {
    "not_due": "not due at this execution time (SQLMesh cron/intervals)",
    "skipped": "skipped by SQLMesh",
    "not_run": "not evaluated: the SQLMesh run failed or was interrupted first",
    "failed": "failed",
    "materialized": "materialized",
}


@dataclass(frozen=True)
class ModelOutcome:
    model: str
    asset_key: str | None
    outcome: Outcome
    reason: str | None
    error_class: str | None


@dataclass(frozen=True)
class RunSummary:
    exit_code: int
    status: Literal["success", "failed", "nothing_to_do"]
    models: tuple[ModelOutcome, ...]
    error: str | None
    duration_ms: float

    @property
    def failed(self) -> tuple[ModelOutcome, ...]:
        return tuple(m for m in self.models if m.outcome == "failed")


class RunSummaryError(ValueError):
    pass


def parse_run_summary(payload: Any) -> RunSummary:
    """Validate a ``RunSummary`` payload (``src/report/run-summary.ts``)."""
    if not isinstance(payload, dict) or payload.get("kind") != RUN_SUMMARY_KIND:
        raise RunSummaryError(f"not a run summary: {payload!r:.200}")
    status = payload.get("status")
    if status not in _STATUSES:
        raise RunSummaryError(f"run summary status {status!r} is not one of {_STATUSES}")
    raw_models = payload.get("models")
    if not isinstance(raw_models, list):
        raise RunSummaryError("run summary has no models list")
    models = []
    for raw in raw_models:
        if (
            not isinstance(raw, dict)
            or not isinstance(raw.get("model"), str)
            or raw.get("outcome") not in _OUTCOMES
        ):
            raise RunSummaryError(f"bad model outcome in run summary: {raw!r:.200}")
        models.append(
            ModelOutcome(
                model=raw["model"],
                asset_key=raw.get("asset_key"),
                outcome=raw["outcome"],
                reason=raw.get("reason"),
                error_class=raw.get("error_class"),
            )
        )
    error = payload.get("error")
    return RunSummary(
        exit_code=int(payload.get("exit_code", 1 if status == "failed" else 0)),
        status=status,
        models=tuple(models),
        error=error if isinstance(error, str) else None,
        duration_ms=float(payload.get("duration_ms") or 0),
    )


def find_run_summary(custom_messages: Sequence[Any]) -> RunSummary | None:
    """The last run summary among the invocation's custom messages (others are ignored)."""
    for payload in reversed(custom_messages):
        if isinstance(payload, dict) and payload.get("kind") == RUN_SUMMARY_KIND:
            return parse_run_summary(payload)
    return None


def topological_order(asset_deps: Mapping[AssetKey, Iterable[AssetKey]]) -> dict[AssetKey, int]:
    """Position of each key in a topological order of the multi-asset's own graph."""
    sorter = TopologicalSorter(
        {key: [d for d in deps if d in asset_deps] for key, deps in asset_deps.items()}
    )
    return {key: i for i, key in enumerate(sorter.static_order())}


def select_results(
    results: Iterable[MaterializeResult | AssetCheckResult],
    *,
    selected_asset_keys: Iterable[AssetKey],
    selected_check_keys: Iterable[AssetCheckKey],
    order: Mapping[AssetKey, int],
    log: DagsterLogManager,
) -> list[MaterializeResult | AssetCheckResult]:
    """What the step may yield: only selected keys/checks, each once, in an order Dagster accepts.

    Dagster rejects a result for an unselected asset or check, a second result for the same
    output, and a multi-asset output yielded after one of its dependents ("must yield them in
    topological order") — and with concurrent tasks SQLMesh may finish a child's report first.
    A buggy report must not turn a good run into a failed step, so extras are logged and
    dropped. Two results for one check keep the failing one (one failed batch fails the audit).
    Materializations come first, in ``order``; then checks, so each links to this run's
    materialization.
    """
    asset_keys = set(selected_asset_keys)
    check_keys = set(selected_check_keys)
    materializations: dict[AssetKey, MaterializeResult] = {}
    checks: dict[AssetCheckKey, AssetCheckResult] = {}
    for result in results:
        if isinstance(result, MaterializeResult):
            key = result.asset_key
            if key not in asset_keys:
                log.warning(
                    f"Ignoring a materialization reported for unselected asset {key.to_user_string()}."
                )
                continue
            if key in materializations:
                log.debug(f"{key.to_user_string()} reported more than once: keeping the last report.")
            materializations[key] = result
        elif isinstance(result, AssetCheckResult):
            check_key = AssetCheckKey(result.asset_key, result.check_name)
            if check_key not in check_keys:
                log.warning(f"Ignoring a result reported for unselected check {check_key.to_user_string()}.")
                continue
            previous = checks.get(check_key)
            if previous is not None and not previous.passed and result.passed:
                continue
            checks[check_key] = result
    ordered = sorted(materializations.values(), key=lambda r: order.get(r.asset_key, len(order)))  # type: ignore[arg-type]
    return [*ordered, *checks.values()]


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
    by_outcome: dict[str, list[str]] = {outcome: [] for outcome in _OUTCOMES}
    for entry in summary.models:
        by_outcome[entry.outcome].append(entry.model)
        if entry.outcome == "materialized":
            if entry.asset_key is not None and entry.asset_key not in reported_keys:
                log.warning(f"SQLMesh model {entry.model} was evaluated but no materialization was reported.")
            continue
        text = f"SQLMesh model {entry.model} not materialized: {_OUTCOME_TEXT[entry.outcome]}"
        log.debug(text + (f" — {entry.reason}" if entry.reason else ""))
    seen = {entry.model for entry in summary.models}
    silent = sorted(
        model for key, model in model_by_key.items() if model not in seen and key not in reported_keys
    )
    parts = [f"{len(by_outcome['materialized'])} materialized"]
    for outcome in ("not_due", "skipped", "not_run", "failed"):
        if by_outcome[outcome]:
            parts.append(f"{_OUTCOME_LABEL[outcome]}: {', '.join(sorted(by_outcome[outcome]))}")
    if silent:
        parts.append(f"no outcome reported: {', '.join(silent)}")
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
    outcomes = {m.model: m.outcome for m in summary.models} if summary is not None else {}
    for key, model in selected:
        if key not in evaluated:
            outcome = outcomes.get(model)
            why = _OUTCOME_TEXT[outcome] if outcome else "not part of the run"
            log.info(
                f"Check {key.to_user_string()} not evaluated: SQLMesh audits {model} only when it "
                f"evaluates it, and it was {why}."
            )


def run_failure(summary: RunSummary | None) -> Failure | None:
    """The ``Failure`` to raise after the results were yielded, or None when the run succeeded."""
    if summary is None:
        return Failure(description=errors.RUN_NO_SUMMARY)
    if summary.status != "failed":
        return None
    failed = summary.failed
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
