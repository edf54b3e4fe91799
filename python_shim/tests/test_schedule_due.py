"""Cron-aware ticks: the real executor (``sqlmesh-pipes due``) decides which models a tick requests."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone

import pytest
from dagster import (
    AssetCheckKey,
    AssetKey,
    DagsterRunStatus,
    build_schedule_context,
    instance_for_test,
)
from dagster._core.storage import tags as dagster_tags
from dagster._core.test_utils import create_run_for_test
from shim_helpers import audit, external, fqn, manifest, model, standalone_audit

from sqlmesh_pipes import sqlmesh_adaptive_schedule_factory
from sqlmesh_pipes.executor import DEFAULT_EXECUTOR_PATH
from sqlmesh_pipes.schedule import (
    DUE_SINCE_TAG,
    SCHEDULE_NAME_TAG,
    SCHEDULED_EXECUTION_TIME_TAG,
)

NODE = shutil.which("node", path="/usr/bin:/usr/local/bin") or "node"
SCHEDULE = "sqlmesh_adaptive_schedule"

pytestmark = pytest.mark.skipif(not DEFAULT_EXECUTOR_PATH.is_file(), reason="needs `npm run build`")


def _project(**overrides):
    return manifest(
        [
            model(
                "shop.hourly",
                cron="@hourly",
                interval_unit="hour",
                audits=[audit("not_null", {"columns": "[id]"})],
            ),
            model("shop.daily", depends_on=[fqn("shop.hourly")], cron="@daily"),
            model("shop.weekdays", depends_on=[fqn("raw.src")], cron="0 9 * * 1-5"),
            model("shop.daily_la", cron="@daily", cron_tz="America/Los_Angeles"),
            model("shop.seed", kind="SEED", cron="@hourly", interval_unit="hour"),
        ],
        [external("raw.src", cron="0 9 * * *", audits=[audit("not_null", {"columns": "[id]"})])],
        **overrides,
    )


def _tick(schedule_def, instance, at: str, since: str | None):
    if since is not None:
        create_run_for_test(
            instance,
            job_name="sqlmesh_job",
            status=DagsterRunStatus.SUCCESS,
            tags={SCHEDULE_NAME_TAG: SCHEDULE, SCHEDULED_EXECUTION_TIME_TAG: since},
        )
    moment = datetime.fromisoformat(at).astimezone(timezone.utc)
    with build_schedule_context(instance=instance, scheduled_execution_time=moment) as context:
        return schedule_def.evaluate_tick(context)


@pytest.fixture
def schedule_of(make_resource):
    def build(data=None, **kwargs):
        resource = make_resource(
            data or _project(), node_executable=NODE, executor_path=str(DEFAULT_EXECUTOR_PATH)
        )
        return sqlmesh_adaptive_schedule_factory(sqlmesh_resource=resource, **kwargs).schedule

    return build


def _keys(*names: str) -> list[AssetKey]:
    return [AssetKey(["db", *name.split(".")]) for name in names]


def test_our_tags_are_dagsters():
    assert SCHEDULE_NAME_TAG == dagster_tags.SCHEDULE_NAME_TAG
    assert SCHEDULED_EXECUTION_TIME_TAG == dagster_tags.SCHEDULED_EXECUTION_TIME_TAG


def test_hourly_boundary_requests_only_the_hourly_model_and_its_checks(schedule_of):
    schedule_def = schedule_of()
    with instance_for_test() as instance:
        data = _tick(schedule_def, instance, "2024-01-02T06:00:00+00:00", since="2024-01-02T05:00:00+00:00")
    (request,) = data.run_requests
    assert list(request.asset_selection) == _keys("shop.hourly")
    assert list(request.asset_check_keys) == [AssetCheckKey(_keys("shop.hourly")[0], "not_null")]
    assert request.tags[DUE_SINCE_TAG] == "2024-01-02T05:00:00.000Z"


def test_daily_boundary_adds_the_daily_models_in_their_time_zone(schedule_of):
    schedule_def = schedule_of()
    with instance_for_test() as instance:
        midnight = _tick(
            schedule_def, instance, "2024-01-02T00:00:00+00:00", since="2024-01-01T23:00:00+00:00"
        )
    assert sorted(midnight.run_requests[0].asset_selection) == sorted(_keys("shop.hourly", "shop.daily"))
    with instance_for_test() as instance:
        la = _tick(schedule_def, instance, "2024-01-02T08:00:00+00:00", since="2024-01-02T07:00:00+00:00")
    assert sorted(la.run_requests[0].asset_selection) == sorted(_keys("shop.hourly", "shop.daily_la"))


def test_external_audits_come_with_their_cron(schedule_of):
    schedule_def = schedule_of()
    with instance_for_test() as instance:
        data = _tick(schedule_def, instance, "2024-01-02T09:00:00+00:00", since="2024-01-02T08:00:00+00:00")
    (request,) = data.run_requests
    assert sorted(request.asset_selection) == sorted(_keys("shop.hourly", "shop.weekdays"))
    assert AssetCheckKey(AssetKey(["db", "raw", "src"]), "not_null") in request.asset_check_keys


def test_nothing_due_skips_with_the_reason(schedule_of):
    schedule_def = schedule_of()
    with instance_for_test() as instance:
        data = _tick(schedule_def, instance, "2024-01-02T06:30:00+00:00", since="2024-01-02T06:00:00+00:00")
    assert not data.run_requests
    assert "nothing is due" in data.skip_message and "2024-01-02T06:30:00.000Z" in data.skip_message


def test_a_failed_run_leaves_its_models_due(schedule_of):
    schedule_def = schedule_of()
    with instance_for_test() as instance:
        create_run_for_test(
            instance,
            job_name="sqlmesh_job",
            status=DagsterRunStatus.FAILURE,
            tags={SCHEDULE_NAME_TAG: SCHEDULE, SCHEDULED_EXECUTION_TIME_TAG: "2024-01-02T00:00:00+00:00"},
        )
        data = _tick(schedule_def, instance, "2024-01-02T01:00:00+00:00", since="2024-01-01T23:00:00+00:00")
    # The midnight run failed: the daily model is still owed at 01:00.
    assert sorted(data.run_requests[0].asset_selection) == sorted(_keys("shop.hourly", "shop.daily"))


def test_first_tick_and_due_standalone_audits_run_the_whole_job(schedule_of):
    schedule_def = schedule_of()
    with instance_for_test() as instance:
        first = _tick(schedule_def, instance, "2024-01-02T06:00:00+00:00", since=None)
    assert first.run_requests[0].asset_selection is None
    project = _project(standalone_audits=[standalone_audit("sa_daily", [fqn("shop.daily")], cron="@daily")])
    schedule_def = schedule_of(project)
    with instance_for_test() as instance:
        data = _tick(schedule_def, instance, "2024-01-02T00:00:00+00:00", since="2024-01-01T23:00:00+00:00")
    assert data.run_requests[0].asset_selection is None


def test_opting_out_runs_the_whole_job_at_every_tick(schedule_of):
    schedule_def = schedule_of(due_models_only=False)
    with instance_for_test() as instance:
        data = _tick(schedule_def, instance, "2024-01-02T06:30:00+00:00", since="2024-01-02T06:00:00+00:00")
    assert data.run_requests[0].asset_selection is None
