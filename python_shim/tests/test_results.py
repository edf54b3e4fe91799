from __future__ import annotations

import pytest
from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetKey,
    AssetMaterialization,
    Failure,
    MaterializeResult,
)

from sqlmesh_pipes.results import (
    ResultGate,
    RunSummaryError,
    failed_models,
    find_run_summary,
    parse_run_summary,
    run_failure,
)

A, B, C = AssetKey("a"), AssetKey("b"), AssetKey("c")


class Log:
    def __init__(self):
        self.lines: list[tuple[str, str]] = []

    def __getattr__(self, level):
        return lambda message: self.lines.append((level, message))


def summary(**overrides):
    payload = {
        "kind": "sqlmesh_pipes/run_summary",
        "exit_code": 0,
        "status": "success",
        "models": [
            {"model": "s.a", "asset_key": "a", "outcome": "materialized", "reason": None, "error_class": None}
        ],
        "error": None,
        "manifest_drift": None,
        "duration_ms": 5,
    }
    payload.update(overrides)
    return payload


def test_find_run_summary_takes_the_last_and_ignores_others():
    found = find_run_summary([{"other": 1}, summary(status="failed"), "text", summary()])
    assert found is not None and found.status == "success"
    assert find_run_summary([{"kind": "x"}]) is None


@pytest.mark.parametrize(
    "bad", [summary(status="weird"), summary(models=None), summary(models=[{"model": "x"}])]
)
def test_bad_summary(bad):
    with pytest.raises(RunSummaryError):
        parse_run_summary(bad)


def test_run_failure_uses_sqlmesh_text():
    failed = parse_run_summary(
        summary(
            status="failed",
            exit_code=1,
            models=[
                {"model": "s.a", "asset_key": "a", "outcome": "failed", "reason": "boom", "error_class": "X"}
            ],
            error="Binder Error: column x not found",
        )
    )
    failure = run_failure(failed)
    assert isinstance(failure, Failure)
    assert (
        "1 model(s): s.a" in failure.description and "Binder Error: column x not found" in failure.description
    )
    assert run_failure(parse_run_summary(summary())) is None
    assert run_failure(parse_run_summary(summary(status="nothing_to_do", models=[]))) is None
    assert "without its run summary" in run_failure(None).description


def test_run_failure_counts_partial_models_and_reads_the_drift():
    parsed = parse_run_summary(
        summary(
            status="failed",
            exit_code=1,
            models=[
                {
                    "model": "s.a",
                    "asset_key": "a",
                    "outcome": "partial",
                    "reason": "1 committed",
                    "error_class": "X",
                }
            ],
            error="s.a: batch 2 failed",
            manifest_drift={"unknown_models": ["s.new"], "changed_models": []},
        )
    )
    assert [m.model for m in failed_models(parsed)] == ["s.a"]
    assert parsed.manifest_drift is not None and parsed.manifest_drift.unknown_models == ("s.new",)
    assert "1 model(s): s.a" in run_failure(parsed).description


def gate(log, **overrides):
    return ResultGate(
        selected_asset_keys=overrides.get("assets", {A, B, C}),
        selected_check_keys=overrides.get("checks", {AssetCheckKey(A, "x")}),
        asset_deps={A: set(), B: {A}, C: {B, AssetKey("external")}},
        log=log,
    )


def test_gate_passes_results_through_as_they_come_and_drops_what_dagster_would_reject():
    log = Log()
    g = gate(log)
    results = [
        MaterializeResult(asset_key=A),
        AssetCheckResult(asset_key=A, check_name="x", passed=False),
        MaterializeResult(asset_key=B, metadata={"n": 1}),
        MaterializeResult(asset_key=B, metadata={"n": 2}),  # twice: the first stands
        AssetCheckResult(asset_key=A, check_name="x", passed=True),  # twice: the first stands
        MaterializeResult(asset_key=AssetKey("zzz")),  # unselected
        AssetCheckResult(asset_key=A, check_name="unselected", passed=True),
    ]
    out = [admitted for admitted in map(g.admit, results) if admitted is not None]
    assert [type(r).__name__ for r in out] == ["MaterializeResult", "AssetCheckResult", "MaterializeResult"]
    assert out[2].metadata["n"] == 1
    assert [level for level, _ in log.lines] == ["warning"] * 4


def test_gate_records_a_late_upstream_as_an_event_never_losing_it():
    log = Log()
    g = gate(log)
    assert isinstance(g.admit(MaterializeResult(asset_key=B)), MaterializeResult)
    late = g.admit(MaterializeResult(asset_key=A, metadata={"sqlmesh/batches": 1}))
    assert isinstance(late, AssetMaterialization) and late.asset_key == A
    assert set(g.materialized) == {A, B}
    assert "recorded as a materialization event" in log.lines[-1][1]
