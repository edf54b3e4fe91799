"""The run matrix through real Dagster + real SQLMesh + the real Node executor (no fakes).

Project: test/fixtures/e2e-projects/shop, prepared once (prod applied without backfill) and
copied per test. Models: shop.items (FULL, reads data/items.csv at run time; audits not_null
blocking, accepted_range non-blocking) -> shop.items_summary (number_of_rows); shop.events
(INCREMENTAL_BY_TIME_RANGE, batch_size 1, two daily intervals; not_null) -> shop.events_daily.
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
from dagster import AssetCheckSeverity, AssetKey, AssetSelection, DagsterInstance, materialize
from dagster_e2e_helpers import (
    DATABASE,
    check_evaluations,
    evaluated_models,
    key,
    materialized,
    row_count,
    shop_definitions,
    step_failure_text,
    user_messages,
    write_items,
)

from sqlmesh_pipes import SQLMeshResource, SQLMeshTranslator, sqlmesh_assets_factory

ALL_MODELS = {"shop.items", "shop.items_summary", "shop.events", "shop.events_daily"}
ALL_CHECKS = {
    ("shop.items", "not_null"): AssetCheckSeverity.ERROR,
    ("shop.items", "accepted_range"): AssetCheckSeverity.WARN,
    ("shop.items_summary", "number_of_rows"): AssetCheckSeverity.ERROR,
    ("shop.events", "not_null"): AssetCheckSeverity.ERROR,
}


def run_all(defs, instance: DagsterInstance):
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(instance=instance, raise_on_error=False)


def test_all_due_materializes_every_model_with_metadata_and_checks(shop_project, dagster_instance, assert_pipes_clean):
    result = run_all(shop_definitions(shop_project), dagster_instance)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)

    mats = materialized(result)
    assert set(mats) == {key(m) for m in ALL_MODELS}
    events = mats[key("shop.events")]
    assert "sqlmesh/kind" not in events  # the definition's metadata says it (sqlmesh_pipes/kind)
    assert events["dagster/table_name"] == "db.shop.events"
    assert events["sqlmesh/batches"] == "2 committed"  # batch_size 1, two missing days
    intervals = events["sqlmesh/intervals"]
    assert len(intervals) == 2 and intervals[0][1] == intervals[1][0], intervals
    assert (events["sqlmesh/interval_start"], events["sqlmesh/interval_end"]) == (intervals[0][0], intervals[1][1])
    items = mats[key("shop.items")]
    assert (items["dagster/table_name"], items["sqlmesh/batches"]) == ("db.shop.items", "1 committed")
    assert mats[key("shop.events_daily")]["sqlmesh/batches"] == "1 committed"
    for metadata in mats.values():
        assert metadata["sqlmesh/duration_s"] >= 0

    checks = check_evaluations(result)
    assert {name: e.severity for name, e in checks.items()} == ALL_CHECKS
    assert all(e.passed for e in checks.values()), {n: e.passed for n, e in checks.items()}
    assert checks[("shop.items", "accepted_range")].metadata["sqlmesh/blocking"].value is False
    assert checks[("shop.items", "not_null")].metadata["sqlmesh/blocking"].value is True
    # One check result per audit, however many batches SQLMesh audited.
    assert checks[("shop.events", "not_null")].metadata["sqlmesh/batches_audited"].value == "2 audited"

    assert evaluated_models(shop_project) == ALL_MODELS
    assert row_count(shop_project, "shop.items") == 3
    # DuckDB reports no execution stats, and counting is opt-in: no row count is claimed.
    assert not any("dagster/row_count" in metadata for metadata in mats.values())


def test_row_counts_on_request_are_the_tables_counts(shop_project, dagster_instance, assert_pipes_clean):
    result = run_all(shop_definitions(shop_project, fetch_row_counts=True), dagster_instance)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)
    counts = {asset: metadata["dagster/row_count"] for asset, metadata in materialized(result).items()}
    assert counts == {key(model): row_count(shop_project, model) for model in ALL_MODELS}
    assert counts[key("shop.items")] == 3


def test_immediate_rerun_materializes_nothing_and_says_why(shop_project, dagster_instance, assert_pipes_clean):
    defs = shop_definitions(shop_project)
    first = run_all(defs, dagster_instance)
    assert first.success, step_failure_text(first)

    second = run_all(defs, dagster_instance)
    assert_pipes_clean(dagster_instance, second.run_id)
    assert second.success, step_failure_text(second)
    assert second.get_asset_materialization_events() == []  # no implicit materializations
    assert second.get_asset_check_evaluations() == []
    messages = user_messages(dagster_instance, second.run_id)
    assert any(m.startswith("No models are ready to run.") for m in messages), messages  # SQLMesh's own words
    for model in ALL_MODELS:
        assert any(m.startswith(f"{model}: not materialized — no interval was due") for m in messages), (model, messages)
    assert any("not due: shop.events, shop.events_daily, shop.items, shop.items_summary" in m for m in messages), messages
    # The skipped checks are explained too.
    assert any(m.startswith("Check db/shop/items:not_null not evaluated") for m in messages), messages


def test_sql_error_fails_step_after_recording_independent_successes(shop_project, dagster_instance, assert_pipes_clean):
    write_items(shop_project, [("1", "10"), ("2", "oops")])  # CAST('oops' AS INT) fails in DuckDB at run time
    result = run_all(shop_definitions(shop_project), dagster_instance)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert not result.success

    # Independent models materialized and recorded; the failed one and its downstream not.
    assert set(materialized(result)) == {key("shop.events"), key("shop.events_daily")}
    recorded = dagster_instance.get_latest_materialization_events([key(m) for m in ALL_MODELS])
    assert {k for k, event in recorded.items() if event is not None} == {key("shop.events"), key("shop.events_daily")}
    checks = check_evaluations(result)
    assert set(checks) == {("shop.events", "not_null")} and checks[("shop.events", "not_null")].passed

    failure = step_failure_text(result)
    assert "shop.items" in failure
    # SQLMesh's (DuckDB's) own error text, in the step failure and its metadata.
    assert "Conversion Error: Could not convert string 'oops' to INT32" in failure, failure
    user_failure = result.get_step_failure_events()[0].event_specific_data.user_failure_data
    assert user_failure.metadata["sqlmesh_pipes/failed_models"].value == ["shop.items"]
    messages = user_messages(dagster_instance, result.run_id)
    assert any("skipped because an upstream model failed: shop.items_summary" in m for m in messages), messages
    assert any(m.startswith("shop.items_summary: not materialized — skipped by SQLMesh") for m in messages), messages
    assert evaluated_models(shop_project) == {"shop.events", "shop.events_daily"}


def test_blocking_audit_failure(shop_project, dagster_instance, assert_pipes_clean):
    write_items(shop_project, [("1", "10"), ("", "20")])  # id NULL: blocking not_null fails
    result = run_all(shop_definitions(shop_project), dagster_instance)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert not result.success

    mats = materialized(result)
    assert key("shop.items") not in mats and key("shop.items_summary") not in mats
    assert set(mats) == {key("shop.events"), key("shop.events_daily")}
    checks = check_evaluations(result)
    not_null = checks[("shop.items", "not_null")]
    assert (not_null.passed, not_null.severity) == (False, AssetCheckSeverity.ERROR)
    assert not_null.metadata["sqlmesh/failing_rows"].value == 1
    assert ("shop.items_summary", "number_of_rows") not in checks
    failure = step_failure_text(result)
    assert "shop.items: NodeAuditsErrors: Audits failed: not_null" in failure, failure
    messages = user_messages(dagster_instance, result.run_id)
    assert any(m.startswith("shop.items_summary: not materialized — skipped by SQLMesh") for m in messages), messages
    assert "shop.items" not in evaluated_models(shop_project)


def test_non_blocking_audit_failure(shop_project, dagster_instance, assert_pipes_clean):
    write_items(shop_project, [("1", "10"), ("2", "-5")])  # accepted_range(min 0), blocking false
    result = run_all(shop_definitions(shop_project), dagster_instance)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)

    assert set(materialized(result)) == {key(m) for m in ALL_MODELS}
    checks = check_evaluations(result)
    accepted = checks[("shop.items", "accepted_range")]
    assert (accepted.passed, accepted.severity) == (False, AssetCheckSeverity.WARN)
    assert checks[("shop.items", "not_null")].passed
    messages = user_messages(dagster_instance, result.run_id)
    assert any(m.startswith("shop.items: non-blocking audit accepted_range failed") for m in messages), messages


def test_subset_runs_only_the_selected_model(shop_project, dagster_instance, assert_pipes_clean):
    defs = shop_definitions(shop_project)
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=dagster_instance, asset_selection=[key("shop.events_daily")], raise_on_error=False)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)
    assert set(materialized(result)) == {key("shop.events_daily")}
    assert check_evaluations(result) == {}  # events' not_null is not selected (and events did not run)
    # No upstream leak: SQLMesh evaluated exactly the selected model.
    assert evaluated_models(shop_project) == {"shop.events_daily"}
    assert row_count(shop_project, "shop.events") == 0
    messages = user_messages(dagster_instance, result.run_id)
    assert any("for 1 selected model(s)" in m for m in messages), messages


def test_subset_of_two_models_with_their_checks(shop_project, dagster_instance, assert_pipes_clean):
    resource = SQLMeshResource(project_dir=str(shop_project))
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    selection = AssetSelection.assets(key("shop.items"), key("shop.items_summary"))
    result = materialize([assets], instance=dagster_instance, resources={"sqlmesh": resource}, selection=selection, raise_on_error=False)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)
    assert set(materialized(result)) == {key("shop.items"), key("shop.items_summary")}
    assert set(check_evaluations(result)) == {
        ("shop.items", "not_null"),
        ("shop.items", "accepted_range"),
        ("shop.items_summary", "number_of_rows"),
    }
    assert evaluated_models(shop_project) == {"shop.items", "shop.items_summary"}


def _intervals(project: Path) -> list[tuple]:
    with duckdb.connect(str(project / DATABASE), read_only=True) as con:
        return con.execute("SELECT name, start_ts, end_ts, is_removed FROM sqlmesh._intervals ORDER BY ALL").fetchall()


def _break_items_table(project: Path) -> None:
    """Add a NULL id and a negative amount to shop.items' physical table, behind SQLMesh's back."""
    with duckdb.connect(str(project / DATABASE)) as con:
        (schema, table), *_ = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema = 'sqlmesh__shop' AND starts_with(table_name, 'shop__items__') AND table_type = 'BASE TABLE'"
        ).fetchall()
        con.execute(f'INSERT INTO "{schema}"."{table}" VALUES (NULL, 5), (4, -5)')


def test_checks_only_selection_audits_the_model_in_place(shop_project, dagster_instance, assert_pipes_clean):
    """Checks without their asset: SQLMesh's audit-only evaluation over the environment's
    intervals — the audits run against the current table, no model is evaluated, state unchanged."""
    resource = SQLMeshResource(project_dir=str(shop_project))
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    materialize([assets], instance=dagster_instance, resources={"sqlmesh": resource}, selection=AssetSelection.assets(key("shop.items")))
    state = _intervals(shop_project)
    checks_only = AssetSelection.checks_for_assets(key("shop.items"))

    result = materialize([assets], instance=dagster_instance, resources={"sqlmesh": resource}, selection=checks_only, raise_on_error=False)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)
    assert result.get_asset_materialization_events() == []
    checks = check_evaluations(result)
    assert {name: e.passed for name, e in checks.items()} == {("shop.items", "not_null"): True, ("shop.items", "accepted_range"): True}
    for evaluation in checks.values():
        assert evaluation.metadata["sqlmesh/audit_only"].value is True
        assert evaluation.metadata["sqlmesh/audited_intervals"].value == [["2024-01-01T00:00:00Z", "2024-01-03T00:00:00Z"]]
    messages = user_messages(dagster_instance, result.run_id)
    assert any(m.startswith("checks without their asset: SQLMesh audits shop.items in place") for m in messages), messages
    assert any(m.startswith("shop.items: batch 1/1") and "audit only" in m for m in messages), messages
    assert _intervals(shop_project) == state  # nothing evaluated, nothing written

    _break_items_table(shop_project)
    broken = materialize([assets], instance=dagster_instance, resources={"sqlmesh": resource}, selection=checks_only, raise_on_error=False)
    assert_pipes_clean(dagster_instance, broken.run_id)
    assert not broken.success  # a blocking audit failed, as in a run
    checks = check_evaluations(broken)
    assert {name: (e.passed, e.severity) for name, e in checks.items()} == {
        ("shop.items", "not_null"): (False, AssetCheckSeverity.ERROR),
        ("shop.items", "accepted_range"): (False, AssetCheckSeverity.WARN),
    }
    assert checks[("shop.items", "not_null")].metadata["sqlmesh/failing_rows"].value == 1
    assert "shop.items" in step_failure_text(broken) and "not_null" in step_failure_text(broken)
    assert broken.get_asset_materialization_events() == []
    assert _intervals(shop_project) == state


def test_checks_only_of_a_model_never_evaluated_say_so(shop_project, dagster_instance, assert_pipes_clean):
    resource = SQLMeshResource(project_dir=str(shop_project))
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    selection = AssetSelection.checks_for_assets(key("shop.items"))
    result = materialize([assets], instance=dagster_instance, resources={"sqlmesh": resource}, selection=selection, raise_on_error=False)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)
    assert result.get_asset_check_evaluations() == []
    messages = user_messages(dagster_instance, result.run_id)
    assert any("no interval in environment 'prod' — nothing to audit" in m for m in messages), messages
    for check in ("not_null", "accepted_range"):
        assert any(m.startswith(f"Check db/shop/items:{check} not evaluated") for m in messages), messages
    assert evaluated_models(shop_project) == set()


def test_asset_without_its_checks_reports_no_check_results(shop_project, dagster_instance, assert_pipes_clean):
    """The model runs (SQLMesh still audits it: a blocking audit still gates it) but the
    unselected checks get no result, and nothing is reported outside the selection."""
    resource = SQLMeshResource(project_dir=str(shop_project))
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    selection = AssetSelection.assets(key("shop.items")).without_checks()
    result = materialize([assets], instance=dagster_instance, resources={"sqlmesh": resource}, selection=selection, raise_on_error=False)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)
    assert set(materialized(result)) == {key("shop.items")}
    assert result.get_asset_check_evaluations() == []
    warnings = user_messages(dagster_instance, result.run_id, min_level=logging.WARNING)
    assert not any("unselected" in m for m in warnings), warnings
    assert evaluated_models(shop_project) == {"shop.items"}


def test_checks_of_one_model_with_the_asset_of_another(shop_project, dagster_instance, assert_pipes_clean):
    """Mixed selection: the selected asset runs; the checks-only model is audited in place."""
    resource = SQLMeshResource(project_dir=str(shop_project))
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    selection = AssetSelection.checks_for_assets(key("shop.items")) | AssetSelection.assets(key("shop.events"))
    result = materialize([assets], instance=dagster_instance, resources={"sqlmesh": resource}, selection=selection, raise_on_error=False)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)
    assert set(materialized(result)) == {key("shop.events")}
    # shop.items was never evaluated: nothing to audit in place; its checks get no result.
    assert set(check_evaluations(result)) == {("shop.events", "not_null")}
    messages = user_messages(dagster_instance, result.run_id)
    assert any("no interval in environment 'prod'" in m and "items" in m for m in messages), messages
    assert evaluated_models(shop_project) == {"shop.events"}


class PrefixedTranslator(SQLMeshTranslator):
    """Keys whose parts contain `-` and `.` (escaped strings over Pipes, mapped back to models)."""

    def get_asset_key(self, model):
        return AssetKey(["wh-1", model.name, "v.2"])


def test_custom_translator_keys_and_concurrent_tasks(shop_project, dagster_instance, assert_pipes_clean):
    resource = SQLMeshResource(project_dir=str(shop_project), translator=PrefixedTranslator(), concurrency_limit=4)
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    picked = ["shop.events", "shop.events_daily", "shop.items"]
    selection = AssetSelection.assets(*(AssetKey(["wh-1", m, "v.2"]) for m in picked))
    result = materialize([assets], instance=dagster_instance, resources={"sqlmesh": resource}, selection=selection, raise_on_error=False)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)
    assert set(materialized(result)) == {AssetKey(["wh-1", m, "v.2"]) for m in picked}
    assert {(e.asset_key.path[1], e.check_name) for e in result.get_asset_check_evaluations()} == {
        ("shop.items", "not_null"),
        ("shop.items", "accepted_range"),
        ("shop.events", "not_null"),
    }
    assert evaluated_models(shop_project) == set(picked)
