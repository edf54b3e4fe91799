"""Cron-aware ticks on a real project (test/fixtures/e2e-projects/crons): at each tick the schedule
requests exactly the models SQLMesh has new intervals for — every requested model is evaluated,
and a whole-project `sqlmesh run` at the same moment finds nothing else due."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from dagster import build_schedule_context, instance_for_test
from dagster_e2e_helpers import key, materialized, shop_definitions

from sqlmesh_pipes.resource import DEFAULT_MANIFEST_FILENAME as MANIFEST
from sqlmesh_pipes.schedule import SCHEDULE_NAME_TAG, SCHEDULED_EXECUTION_TIME_TAG

SCHEDULE = "sqlmesh_adaptive_schedule"


def _tick(defs, instance, at: str):
    moment = datetime.fromisoformat(at).astimezone(timezone.utc)
    with build_schedule_context(instance=instance, scheduled_execution_time=moment) as context:
        return defs.resolve_schedule_def(SCHEDULE).evaluate_tick(context)


def _execute(defs, instance, at: str, request=None):
    """Run the job (or the request's subset) with SQLMesh's clock at the tick, tagged as the
    schedule's run of that tick when it is one."""
    job = defs.resolve_job_def("sqlmesh_job")
    tags = {}
    if request is not None:
        if request.asset_selection is not None:
            job = job.get_subset(asset_selection=set(request.asset_selection), asset_check_selection=set(request.asset_check_keys or ()))
        tags = {**request.tags, SCHEDULE_NAME_TAG: SCHEDULE, SCHEDULED_EXECUTION_TIME_TAG: at}
    config = {"ops": {"sqlmesh_assets": {"config": {"execution_time": at}}}}
    result = job.execute_in_process(instance=instance, run_config=config, tags=tags, raise_on_error=False)
    assert result.success
    return result


def test_the_manifest_carries_cron_zones(crons_project: Path):
    models = {m["name"]: m for m in json.loads((crons_project / MANIFEST).read_text())["models"]}
    assert {name: m["cron_tz"] for name, m in models.items()} == {
        "crons.hourly": None,
        "crons.daily": None,
        "crons.daily_la": "America/Los_Angeles",
        "crons.weekdays": None,
    }
    # The longest gap between ticks, in the cron's zone: Los Angeles has a 25-hour day in November.
    assert models["crons.daily_la"]["cron_period_seconds"] == 25 * 3600
    assert models["crons.daily"]["cron_period_seconds"] == 24 * 3600
    assert models["crons.weekdays"]["cron_period_seconds"] == 3 * 24 * 3600
    assert not any(m["allow_partials"] for m in models.values())


def test_each_tick_requests_exactly_what_sqlmesh_has_due(crons_project: Path):
    # Schedule ticks query runs through an instance reference: an on-disk test instance.
    with instance_for_test() as dagster_instance:
        _ticks(crons_project, dagster_instance)


def _ticks(crons_project: Path, dagster_instance) -> None:
    defs = shop_definitions(crons_project, enable_schedule=True)
    first_at = "2024-01-03T00:00:00+00:00"
    first = _tick(defs, dagster_instance, first_at)
    assert first.run_requests[0].asset_selection is None  # no successful run yet: everything
    _execute(defs, dagster_instance, first_at, first.run_requests[0])

    ticks = {
        "2024-01-03T01:00:00+00:00": {"crons.hourly"},
        "2024-01-03T08:00:00+00:00": {"crons.hourly", "crons.daily_la"},  # midnight in Los Angeles
        "2024-01-03T09:00:00+00:00": {"crons.hourly", "crons.weekdays"},  # a Wednesday
        "2024-01-04T00:00:00+00:00": {"crons.hourly", "crons.daily"},  # 14 hourly ticks skipped: caught up
    }
    for at, due in ticks.items():
        data = _tick(defs, dagster_instance, at)
        (request,) = data.run_requests
        assert set(request.asset_selection) == {key(model) for model in due}, at
        run = _execute(defs, dagster_instance, at, request)
        assert set(materialized(run)) == {key(model) for model in due}, at
        # SQLMesh agrees: a run of the whole project at the same moment has nothing left to do.
        assert materialized(_execute(defs, dagster_instance, at)) == {}, at

    skipped = _tick(defs, dagster_instance, "2024-01-04T00:30:00+00:00")
    assert not skipped.run_requests and "nothing is due" in skipped.skip_message
