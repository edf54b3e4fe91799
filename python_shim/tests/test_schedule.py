from __future__ import annotations

import json

import pytest
from dagster import (
    AssetCheckKey,
    AssetKey,
    DagsterRunStatus,
    DefaultScheduleStatus,
    Definitions,
    build_schedule_context,
    instance_for_test,
)
from dagster._core.test_utils import create_run_for_test

from sqlmesh_pipes import (
    SQLMeshPipesDefinitionError,
    SQLMeshPipesExecutorError,
    sqlmesh_adaptive_schedule_factory,
    sqlmesh_assets_factory,
)
from sqlmesh_pipes.executor import parse_schedule_output
from sqlmesh_pipes.schedule import BLOCKING_RUN_STATUSES


def _tick(schedule_def, instance):
    with build_schedule_context(instance=instance) as context:
        return schedule_def.evaluate_tick(context)


def test_cron_comes_from_the_executor(make_resource, scenario):
    record = scenario(
        schedule={
            "cron": "*/15 * * * *",
            "interval_seconds": 900,
            "timezone": "UTC",
            "crons": ["*/15 * * * *", "@daily"],
            "basis": "model_cron",
        }
    )
    resource = make_resource(ignore_cron=True)
    schedule_def, job, analysis = sqlmesh_adaptive_schedule_factory(sqlmesh_resource=resource)
    assert schedule_def.cron_schedule == "*/15 * * * *"
    assert analysis.cron == "*/15 * * * *"
    assert analysis.adaptive is not None and analysis.adaptive.interval_seconds == 900
    models = resource.get_manifest().models
    assert analysis.model_crons == {model.name: model.cron for model in models} and len(models) > 1
    assert schedule_def.execution_timezone == "UTC"
    assert schedule_def.default_status == DefaultScheduleStatus.STOPPED
    assert (schedule_def.name, job.name) == ("sqlmesh_adaptive_schedule", "sqlmesh_job")
    argv = json.loads(record.read_text())["argv"]
    assert argv == ["schedule", "--manifest", resource.resolved_manifest_path, "--ignore-cron"]
    assert "*/15 * * * *, @daily" in schedule_def.description


def test_executor_error_line_is_surfaced(make_resource, scenario):
    scenario(schedule_error="model marts.fast: cron */1 * * * * runs more often than every 5 minutes")
    with pytest.raises(SQLMeshPipesExecutorError, match=r"failed \(exit 2\): model marts.fast: cron \*/1"):
        sqlmesh_adaptive_schedule_factory(sqlmesh_resource=make_resource(), name="other_schedule")


def test_bad_executor_output():
    with pytest.raises(SQLMeshPipesExecutorError, match="not the expected JSON"):
        parse_schedule_output('{"cron": "@daily"}', command="x")
    with pytest.raises(SQLMeshPipesExecutorError, match=r"\$\.interval_seconds: expected a positive integer"):
        parse_schedule_output(
            '{"cron": "0 * * * *", "interval_seconds": 0, "timezone": "UTC", "crons": [], "basis": "union"}',
            command="x",
        )
    assert parse_schedule_output(
        '{"cron": "0 * * * *", "interval_seconds": 3600, "timezone": "UTC", "crons": ["@hourly"],'
        ' "basis": "model_cron"}',
        command="x",
    ).cron


def test_cron_override_skips_the_executor(make_resource, tmp_path):
    resource = make_resource(executor_path=str(tmp_path / "absent.js"))
    schedule_def, _, analysis = sqlmesh_adaptive_schedule_factory(
        sqlmesh_resource=resource, cron_schedule="0 3 * * *"
    )
    assert (analysis.cron, analysis.adaptive) == ("0 3 * * *", None)
    assert schedule_def.cron_schedule == "0 3 * * *"


def test_job_selects_every_model_and_check(make_resource, scenario):
    scenario()
    resource = make_resource()
    schedule_def, job, _ = sqlmesh_adaptive_schedule_factory(sqlmesh_resource=resource)
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    defs = Definitions(assets=[assets], jobs=[job], schedules=[schedule_def], resources={"sqlmesh": resource})
    resolved = defs.resolve_job_def("sqlmesh_job")
    keys = (
        resolved.asset_layer.asset_graph.get_all_asset_keys()
        if hasattr(resolved.asset_layer, "asset_graph")
        else None
    )
    assert keys is None or AssetKey(["db", "marts", "revenue"]) in keys
    selected_checks = resolved.asset_layer.asset_graph.asset_check_keys
    assert AssetCheckKey(AssetKey(["db", "staging", "orders"]), "not_null_2") in selected_checks


@pytest.mark.parametrize(
    "status", [DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
)
def test_skips_while_a_run_of_the_job_is_in_progress(make_resource, scenario, status):
    scenario()
    schedule_def, job, _ = sqlmesh_adaptive_schedule_factory(sqlmesh_resource=make_resource())
    with instance_for_test() as instance:
        run = create_run_for_test(instance, job_name="sqlmesh_job", status=status)
        create_run_for_test(instance, job_name="another_job", status=DagsterRunStatus.STARTED)
        data = _tick(schedule_def, instance)
        assert not data.run_requests
        assert run.run_id in data.skip_message and status.value in data.skip_message


@pytest.mark.parametrize("selected", ["asset", "check"])
def test_skips_while_any_job_runs_the_project(make_resource, scenario, selected):
    """A subset launched from the UI (the implicit asset job) touches the same SQLMesh state."""
    scenario()
    schedule_def, _, _ = sqlmesh_adaptive_schedule_factory(sqlmesh_resource=make_resource())
    revenue = AssetKey(["db", "marts", "revenue"])
    selection = (
        {"asset_selection": frozenset({revenue})}
        if selected == "asset"
        else {
            "asset_selection": frozenset(),
            "asset_check_selection": frozenset({AssetCheckKey(revenue, "assert_positive")}),
        }
    )
    with instance_for_test() as instance:
        other = create_run_for_test(
            instance, job_name="__ASSET_JOB", status=DagsterRunStatus.STARTED, **selection
        )
        create_run_for_test(
            instance,
            job_name="unrelated",
            status=DagsterRunStatus.STARTED,
            asset_selection=frozenset({AssetKey(["elsewhere"])}),
        )
        data = _tick(schedule_def, instance)
    assert not data.run_requests
    assert (
        f"Run {other.run_id} of job __ASSET_JOB (it runs this SQLMesh project) is still STARTED"
        in data.skip_message
    )


def test_unrelated_runs_do_not_hold_the_tick(make_resource, scenario):
    scenario()
    schedule_def, _, _ = sqlmesh_adaptive_schedule_factory(sqlmesh_resource=make_resource())
    with instance_for_test() as instance:
        create_run_for_test(
            instance,
            job_name="unrelated",
            status=DagsterRunStatus.STARTED,
            asset_selection=frozenset({AssetKey(["x"])}),
        )
        assert len(_tick(schedule_def, instance).run_requests) == 1


@pytest.mark.parametrize(
    "status", [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]
)
def test_runs_when_nothing_is_in_progress(make_resource, scenario, status):
    scenario()
    schedule_def, _, _ = sqlmesh_adaptive_schedule_factory(sqlmesh_resource=make_resource())
    with instance_for_test() as instance:
        create_run_for_test(instance, job_name="sqlmesh_job", status=status)
        create_run_for_test(instance, job_name="another_job", status=DagsterRunStatus.STARTED)
        data = _tick(schedule_def, instance)
        assert len(data.run_requests) == 1


def test_blocking_statuses():
    assert {s.value for s in BLOCKING_RUN_STATUSES} >= {
        "QUEUED",
        "NOT_STARTED",
        "STARTING",
        "STARTED",
        "CANCELING",
    }


def test_arguments_are_validated(make_resource):
    with pytest.raises(SQLMeshPipesDefinitionError, match="Invalid job_name 'a b'"):
        sqlmesh_adaptive_schedule_factory(
            sqlmesh_resource=make_resource(), job_name="a b", cron_schedule="@daily"
        )
    with pytest.raises(SQLMeshPipesDefinitionError, match="sqlmesh_resource must be a SQLMeshResource"):
        sqlmesh_adaptive_schedule_factory(sqlmesh_resource=None)  # type: ignore[arg-type]
