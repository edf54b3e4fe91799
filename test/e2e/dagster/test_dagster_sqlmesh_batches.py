"""Models SQLMesh evaluates in several batches (test/fixtures/e2e-projects/batches): a later batch
can fail after earlier ones were committed. Dagster must show exactly what SQLMesh committed —
the intervals in its own state — and each audit as SQLMesh evaluated it, batch by batch."""

from __future__ import annotations

from pathlib import Path

import duckdb
from dagster import AssetCheckSeverity, BackfillPolicy, TimeWindowPartitionsDefinition
from dagster_e2e_helpers import check_evaluations, iso, key, materialized, merged, shop_definitions, step_failure_text, user_messages

JAN = {1: "2024-01-01", 2: "2024-01-02", 3: "2024-01-03", 4: "2024-01-04"}


def write_values(project: Path, values: dict[int, str]) -> None:
    rows = "".join(f"{JAN[day]},{value}\n" for day, value in sorted(values.items()))
    (project / "data" / "values.csv").write_text("ds,v\n" + rows, encoding="utf-8")


def committed_intervals(project: Path, model: str) -> list[list[str]]:
    """The model's intervals in SQLMesh's state, as ISO days [start, end), merged where contiguous."""
    with duckdb.connect(str(project / "db.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT start_ts, end_ts FROM sqlmesh._intervals WHERE name = ? AND NOT is_removed AND NOT is_dev ORDER BY start_ts",
            [f'"db"."{model.split(".")[0]}"."{model.split(".")[1]}"'],
        ).fetchall()
    return merged([[iso(start), iso(end)] for start, end in rows])


def run_all(project: Path, instance):
    job = shop_definitions(project).resolve_implicit_global_asset_job_def()
    return job.execute_in_process(instance=instance, raise_on_error=False)


def test_a_later_batch_failing_leaves_a_partial_materialization(batches_project, dagster_instance, assert_pipes_clean):
    write_values(batches_project, {1: "1", 2: "oops", 3: "3"})  # the CAST fails in batch 2 only
    result = run_all(batches_project, dagster_instance)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert not result.success

    state = committed_intervals(batches_project, "batches.daily")
    assert state == [["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"], ["2024-01-03T00:00:00Z", "2024-01-04T00:00:00Z"]]
    mats = materialized(result)
    assert set(mats) == {key("batches.daily")}  # batches.summary was skipped by SQLMesh
    daily = mats[key("batches.daily")]
    assert daily["sqlmesh/partial"] is True
    assert merged(daily["sqlmesh/intervals"]) == state  # exactly what SQLMesh committed
    assert daily["sqlmesh/batches"] == "2 committed, 1 failed"
    assert daily["sqlmesh/failed_intervals"] == [["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"]]

    messages = user_messages(dagster_instance, result.run_id)
    failed_batch = "batch 2 [2024-01-02T00:00:00Z, 2024-01-03T00:00:00Z)"
    assert any(m.startswith(f"batches.daily failed ({failed_batch}): ConversionException") for m in messages), messages
    assert any(m.startswith("batches.daily: partially materialized — 2 batch(es) committed") for m in messages), messages
    failure = step_failure_text(result)
    assert "batches.daily" in failure and "Could not convert string 'oops'" in failure, failure


def test_blocking_audits_failing_in_two_batches_are_both_errors(batches_project, dagster_instance, assert_pipes_clean):
    # forall fails on day 2, accepted_range on day 3: both blocking, each in its own failed batch.
    write_values(batches_project, {1: "1", 2: "13", 3: "500"})
    result = run_all(batches_project, dagster_instance)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert not result.success

    checks = check_evaluations(result)
    assert {name: (e.passed, e.severity) for name, e in checks.items()} == {
        ("batches.daily", "forall"): (False, AssetCheckSeverity.ERROR),
        ("batches.daily", "accepted_range"): (False, AssetCheckSeverity.ERROR),
    }
    for evaluation in checks.values():
        assert evaluation.metadata["sqlmesh/blocking"].value is True
        assert evaluation.metadata["sqlmesh/batches_audited"].value == "3 audited, 1 failed"
    failed_days = {name: e.metadata["sqlmesh/failed_intervals"].value for (_, name), e in checks.items()}
    assert failed_days == {
        "forall": [["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"]],
        "accepted_range": [["2024-01-03T00:00:00Z", "2024-01-04T00:00:00Z"]],
    }
    messages = user_messages(dagster_instance, result.run_id)
    assert not any("non-blocking" in m for m in messages), [m for m in messages if "non-blocking" in m]

    state = committed_intervals(batches_project, "batches.daily")
    assert state == [["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"]]
    daily = materialized(result)[key("batches.daily")]
    assert (daily["sqlmesh/partial"], merged(daily["sqlmesh/intervals"])) == (True, state)


def test_every_batch_succeeding_is_a_plain_materialization(batches_project, dagster_instance, assert_pipes_clean):
    write_values(batches_project, {1: "1", 2: "2", 3: "3"})
    result = run_all(batches_project, dagster_instance)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)
    daily = materialized(result)[key("batches.daily")]
    assert "sqlmesh/partial" not in daily
    assert daily["sqlmesh/intervals"] == [[f"{JAN[d]}T00:00:00Z", f"{JAN[d + 1]}T00:00:00Z"] for d in (1, 2, 3)]
    assert committed_intervals(batches_project, "batches.daily") == merged(daily["sqlmesh/intervals"])
    checks = check_evaluations(result)
    assert all(e.passed and e.metadata["sqlmesh/batches_audited"].value == "3 audited" for e in checks.values())


def test_a_backfill_window_from_the_run_config_fills_exactly_its_missing_intervals(batches_project, dagster_instance, assert_pipes_clean):
    write_values(batches_project, {1: "1", 2: "2", 3: "3"})
    job = shop_definitions(batches_project).resolve_implicit_global_asset_job_def()
    window = {"start": "2024-01-02", "end": "2024-01-02"}
    result = job.execute_in_process(
        instance=dagster_instance, raise_on_error=False, run_config={"ops": {"sqlmesh_assets": {"config": window}}}
    )
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)
    day_2 = [["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"]]
    assert committed_intervals(batches_project, "batches.daily") == day_2  # SQLMesh's own record
    assert merged(materialized(result)[key("batches.daily")]["sqlmesh/intervals"]) == day_2
    assert any("sqlmesh run in environment 'prod'" in m for m in user_messages(dagster_instance, result.run_id))

    # Without a window the next run evaluates what is still missing, and only that.
    rest = job.execute_in_process(instance=dagster_instance, raise_on_error=False)
    assert rest.success, step_failure_text(rest)
    assert merged(materialized(rest)[key("batches.daily")]["sqlmesh/intervals"]) == [
        ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"],
        ["2024-01-03T00:00:00Z", "2024-01-04T00:00:00Z"],
    ]
    assert committed_intervals(batches_project, "batches.daily") == [["2024-01-01T00:00:00Z", "2024-01-04T00:00:00Z"]]


def test_a_bad_window_fails_the_step_with_the_executors_one_line_error(batches_project, dagster_instance):
    job = shop_definitions(batches_project).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=dagster_instance,
        raise_on_error=False,
        run_config={"ops": {"sqlmesh_assets": {"config": {"start": "2024-01-02"}}}},
    )
    assert not result.success
    assert "--start and --end go together" in step_failure_text(result)
    assert committed_intervals(batches_project, "batches.daily") == []


def _values(project: Path) -> dict[str, int]:
    with duckdb.connect(str(project / "db.duckdb"), read_only=True) as con:
        return {str(ds): v for ds, v in con.execute("SELECT ds, v FROM batches.daily ORDER BY ds").fetchall()}


def _restate(project: Path, instance, selection=None, **config):
    job = shop_definitions(project).resolve_implicit_global_asset_job_def()
    if selection is not None:
        job = job.get_subset(asset_selection=selection)
    return job.execute_in_process(instance=instance, raise_on_error=False, run_config={"ops": {"sqlmesh_assets": {"config": config}}})


def test_a_restatement_reprocesses_its_window_and_the_downstream_models(batches_project, dagster_instance, assert_pipes_clean):
    write_values(batches_project, {1: "1", 2: "2", 3: "3"})
    first = shop_definitions(batches_project).resolve_implicit_global_asset_job_def().execute_in_process(instance=dagster_instance)
    assert first.success
    full = [["2024-01-01T00:00:00Z", "2024-01-04T00:00:00Z"]]
    write_values(batches_project, {1: "10", 2: "20", 3: "30"})  # the source changed after the fact

    # A plain run has nothing to do: SQLMesh has every interval.
    assert materialized(_restate(batches_project, dagster_instance)) == {}

    result = _restate(batches_project, dagster_instance, restate_models=["batches.daily"], start="2024-01-02", end="2024-01-02")
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)
    mats = materialized(result)
    assert set(mats) == {key("batches.daily"), key("batches.summary")}  # SQLMesh restates downstream too
    assert mats[key("batches.daily")]["sqlmesh/intervals"] == [["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"]]
    assert all(m["sqlmesh/restatement"] is True for m in mats.values())
    assert _values(batches_project) == {"2024-01-01": 1, "2024-01-02": 20, "2024-01-03": 3}  # exactly the window
    assert committed_intervals(batches_project, "batches.daily") == full
    messages = user_messages(dagster_instance, result.run_id)
    assert any(m.startswith("restating batches.daily from 2024-01-02 to 2024-01-02 with SQLMesh's restatement plan") for m in messages)


def test_a_restatement_refuses_what_it_cannot_show_or_would_deploy(batches_project, dagster_instance):
    write_values(batches_project, {1: "1", 2: "2", 3: "3"})
    assert shop_definitions(batches_project).resolve_implicit_global_asset_job_def().execute_in_process(instance=dagster_instance).success
    write_values(batches_project, {1: "10", 2: "20", 3: "30"})
    window = {"restate_models": ["batches.daily"], "start": "2024-01-02", "end": "2024-01-02"}

    # Its downstream model would be rewritten without a materialization in this run.
    alone = _restate(batches_project, dagster_instance, selection={key("batches.daily")}, **window)
    assert not alone.success
    assert "restating batches.daily also re-evaluates batches.summary, not selected in this run" in step_failure_text(alone)

    # A model not selected cannot be restated.
    other = _restate(batches_project, dagster_instance, selection={key("batches.summary")}, **window)
    assert "restate_models names batches.daily, whose asset is not selected in this run" in step_failure_text(other)

    # Unapplied changes: a restatement never deploys code.
    summary = batches_project / "models" / "summary.sql"
    summary.write_text(summary.read_text().replace("SUM(v) AS total", "SUM(v) AS total, 1 AS extra"))
    pending = _restate(batches_project, dagster_instance, **window)
    assert not pending.success
    text = step_failure_text(pending)
    assert "restatement refused: the project has changes not applied to 'prod' (batches.summary)" in text, text
    assert _values(batches_project) == {"2024-01-01": 1, "2024-01-02": 2, "2024-01-03": 3}  # nothing was re-processed


RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def test_time_partitions_a_two_day_backfill_is_one_run_and_two_partitions(batches_project, dagster_instance, assert_pipes_clean):
    """`time_partitions=True`: the incremental model is partitioned by day. A backfill of two
    partitions is one run (single-run backfill policy) tagged with the range, as the backfill
    daemon launches it; SQLMesh fills exactly that window and each day is its own materialization."""
    write_values(batches_project, {1: "1", 2: "2", 3: "3"})
    defs = shop_definitions(batches_project, time_partitions=True)
    job = defs.resolve_implicit_global_asset_job_def()
    daily = defs.resolve_assets_def(key("batches.daily"))
    assert isinstance(daily.specs_by_key[key("batches.daily")].partitions_def, TimeWindowPartitionsDefinition)
    assert daily.specs_by_key[key("batches.summary")].partitions_def is None  # FULL: not partitioned
    assert daily.backfill_policy == BackfillPolicy.single_run()

    backfill = job.get_subset(asset_selection={key("batches.daily")}).execute_in_process(
        instance=dagster_instance, raise_on_error=False, tags={RANGE_START: "2024-01-01", RANGE_END: "2024-01-02"}
    )
    assert_pipes_clean(dagster_instance, backfill.run_id)
    assert backfill.success, step_failure_text(backfill)
    events = backfill.get_asset_materialization_events()
    assert [(e.asset_key, e.partition) for e in events] == [(key("batches.daily"), "2024-01-01"), (key("batches.daily"), "2024-01-02")]
    assert events[1].materialization.metadata["sqlmesh/partition_interval"].value == ["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"]
    assert committed_intervals(batches_project, "batches.daily") == [["2024-01-01T00:00:00Z", "2024-01-03T00:00:00Z"]]
    assert all(e.passed for e in check_evaluations(backfill).values())

    # A run without partitions (a schedule's): SQLMesh evaluates what is missing, and only the
    # partition it evaluated is reported — never one it skipped.
    rest = job.execute_in_process(instance=dagster_instance, raise_on_error=False)
    assert rest.success, step_failure_text(rest)
    assert sorted((e.asset_key.to_user_string(), e.partition) for e in rest.get_asset_materialization_events()) == [
        ("db/batches/daily", "2024-01-03"),
        ("db/batches/summary", None),
    ]
    assert {name for name, e in check_evaluations(rest).items() if e.passed} == {
        ("batches.daily", "forall"),
        ("batches.daily", "accepted_range"),
    }
    assert committed_intervals(batches_project, "batches.daily") == [["2024-01-01T00:00:00Z", "2024-01-04T00:00:00Z"]]


def test_time_partitions_refuse_a_window_in_a_partitioned_run(batches_project, dagster_instance):
    job = shop_definitions(batches_project, time_partitions=True).resolve_implicit_global_asset_job_def()
    result = job.get_subset(asset_selection={key("batches.daily")}).execute_in_process(
        instance=dagster_instance,
        raise_on_error=False,
        tags={RANGE_START: "2024-01-01", RANGE_END: "2024-01-01"},
        run_config={"ops": {"sqlmesh_assets": {"config": {"start": "2024-01-02", "end": "2024-01-02"}}}},
    )
    assert not result.success
    assert "A partitioned run takes its window from its partitions" in step_failure_text(result)
    assert committed_intervals(batches_project, "batches.daily") == []
