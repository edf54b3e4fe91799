from __future__ import annotations

import pytest
from dagster import AssetCheckKey, AssetCheckResult, AssetKey, Failure, MaterializeResult

from sqlmesh_pipes.results import (
    RunSummaryError,
    find_run_summary,
    parse_run_summary,
    run_failure,
    select_results,
    topological_order,
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


def test_select_results_filters_dedupes_and_orders():
    log = Log()
    results = [
        MaterializeResult(asset_key=C),
        AssetCheckResult(asset_key=A, check_name="x", passed=False),
        MaterializeResult(asset_key=B, metadata={"n": 1}),
        MaterializeResult(asset_key=B, metadata={"n": 2}),
        AssetCheckResult(asset_key=A, check_name="x", passed=True),
        MaterializeResult(asset_key=AssetKey("zzz")),
        AssetCheckResult(asset_key=A, check_name="unselected", passed=True),
        MaterializeResult(asset_key=A),
    ]
    order = topological_order({A: set(), B: {A}, C: {B, AssetKey("external")}})
    out = select_results(
        results,
        selected_asset_keys={A, B, C},
        selected_check_keys={AssetCheckKey(A, "x")},
        order=order,
        log=log,
    )
    assert [r.asset_key for r in out] == [A, B, C, A]
    assert out[1].metadata["n"] == 2
    assert isinstance(out[3], AssetCheckResult) and out[3].passed is False  # a failed batch fails the check
    assert [level for level, _ in log.lines].count("warning") == 2


def test_topological_order_ignores_external_deps():
    order = topological_order({B: {A, AssetKey("ext")}, A: set()})
    assert order[A] < order[B]
