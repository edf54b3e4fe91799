"""``sqlmesh_adaptive_schedule_factory``: one schedule that ticks whenever any model can be due.

Returns ``(schedule, job, analysis)`` like dg-sqlmesh's documented unpacking
``schedule, job, _ = sqlmesh_adaptive_schedule_factory(...)``; the third value is the cron
analysis (dg-sqlmesh 1.x returns its assets list there: take ours from ``sqlmesh_assets_factory``).

The cron comes from the Node executor (``sqlmesh-pipes schedule``), which knows SQLMesh's cron
rules. At each tick the executor (``sqlmesh-pipes due``) names the models whose cron gives them a
new interval since the schedule's last successful run, by SQLMesh's own interval-end rule and
nothing else (no state read, no plan): the run selects those models and their checks, and a tick
where nothing is due is skipped with the reason. SQLMesh still decides, inside the run, which
intervals are missing. A tick is skipped while a run of the project is queued or in progress, so two
``sqlmesh run``s never overlap — a run of any job that selects the project's models (a subset
launched from the UI, another job) counts. This only asks the instance for runs (any run
coordinator and launcher work).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import timezone as dt_timezone
from typing import TYPE_CHECKING, NamedTuple

from dagster import (
    AssetCheckKey,
    AssetKey,
    AssetSelection,
    DagsterInstance,
    DagsterRunStatus,
    DefaultScheduleStatus,
    JobDefinition,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
)

from sqlmesh_pipes_contracts import AdaptiveSchedule, DueNodes

from . import errors, executor
from .asset_factory import sqlmesh_specs_for
from .resource import SQLMeshResource
from .specs import SQLMeshSpecs, model_of
from .validation import type_error, validate_name

if TYPE_CHECKING:  # a return type only: the class is not exported by `dagster`
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

BLOCKING_RUN_STATUSES: tuple[DagsterRunStatus, ...] = tuple(
    status
    for status in DagsterRunStatus
    if status.name in {"QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING", "SUSPENDED"}
)
"""A run in any of these will still run (or is running) ``sqlmesh run``: the tick waits."""


@dataclass(frozen=True)
class SQLMeshScheduleAnalysis:
    """What the schedule's cron was derived from.

    Attributes:
        cron: The schedule's cron (the finest one covering every model cron, or the override).
        model_crons: Each model's cron, by SQLMesh model name.
        adaptive: The executor's analysis (cron, smallest tick gap, basis); None when
            ``cron_schedule`` overrode it (then the executor is not asked).
    """

    cron: str
    model_crons: Mapping[str, str]
    adaptive: AdaptiveSchedule | None


class SQLMeshAdaptiveSchedule(NamedTuple):
    """``(schedule, job, analysis)``: unpacks like dg-sqlmesh's return value."""

    schedule: ScheduleDefinition
    job: UnresolvedAssetJobDefinition | JobDefinition
    analysis: SQLMeshScheduleAnalysis


SCHEDULE_NAME_TAG = "dagster/schedule_name"
"""Dagster's tag naming the schedule that launched a run (``dagster._core.storage.tags``)."""
SCHEDULED_EXECUTION_TIME_TAG = ".dagster/scheduled_execution_time"
"""Dagster's (hidden) tag holding the tick a schedule's run was launched for, ISO-8601."""
DUE_SINCE_TAG = "sqlmesh_pipes/due_since"
"""Our tag on a tick's run: the previous successful tick its due models were computed from."""

_SCHEDULE_CACHE: dict[tuple[str, str, str, bool, int], AdaptiveSchedule] = {}


BLOCKING_RUNS_SCANNED = 200
"""Queued and in-progress runs looked at per tick (a deployment rarely has more at once)."""


def blocking_run(
    instance: DagsterInstance, job_name: str, asset_keys: AbstractSet[AssetKey] = frozenset()
) -> tuple[str, str, str] | None:
    """``(run_id, job_name, status)`` of a queued or in-progress run of ``job_name``, or of any job
    whose selection touches ``asset_keys`` (the project's models: a UI-launched subset, another
    job), or None."""
    records = instance.get_run_records(
        filters=RunsFilter(statuses=list(BLOCKING_RUN_STATUSES)), limit=BLOCKING_RUNS_SCANNED
    )
    for record in records:
        run = record.dagster_run
        touched = set(run.asset_selection or ()) | {key.asset_key for key in run.asset_check_selection or ()}
        if run.job_name == job_name or touched & asset_keys:
            return run.run_id, run.job_name, run.status.value
    return None


def last_successful_tick(instance: DagsterInstance, schedule_name: str) -> str | None:
    """The tick of the schedule's latest successful run (ISO-8601), or None.

    Everything due up to that tick was requested then and succeeded; a failed run leaves its
    models due, so the next tick requests them again.
    """
    records = instance.get_run_records(
        filters=RunsFilter(tags={SCHEDULE_NAME_TAG: schedule_name}, statuses=[DagsterRunStatus.SUCCESS]),
        limit=1,
    )
    if not records:
        return None
    return records[0].dagster_run.tags.get(SCHEDULED_EXECUTION_TIME_TAG)


def due_selection(specs: SQLMeshSpecs, due: DueNodes) -> tuple[list[AssetKey], list[AssetCheckKey]]:
    """The due models' asset keys, and the checks of the due models and external models."""
    models = set(due.models)
    keys = [spec.key for spec in specs.asset_specs if model_of(spec.metadata) in models]
    nodes = models | set(due.external_models)
    checks = [spec.key for spec in specs.check_specs if model_of(spec.metadata) in nodes]
    return keys, checks


def adaptive_cron_for(sqlmesh_resource: SQLMeshResource) -> AdaptiveSchedule:
    """Ask the executor for the project's schedule (cached per manifest version)."""
    manifest = sqlmesh_resource.get_manifest()  # regenerates first in development mode
    path = manifest.path or sqlmesh_resource.resolved_manifest_path
    node = sqlmesh_resource.node_executable
    cli = sqlmesh_resource.resolved_executor_path
    key = (path, node, cli, sqlmesh_resource.ignore_cron, os.stat(path).st_mtime_ns)
    cached = _SCHEDULE_CACHE.get(key)
    if cached is None:
        cached = executor.adaptive_cron(
            node=node, executor=cli, manifest_path=path, ignore_cron=sqlmesh_resource.ignore_cron
        )
        _SCHEDULE_CACHE[key] = cached
    return cached


def sqlmesh_adaptive_schedule_factory(
    *,
    sqlmesh_resource: SQLMeshResource,
    name: str = "sqlmesh_adaptive_schedule",
    job_name: str = "sqlmesh_job",
    cron_schedule: str | None = None,
    default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED,
    asset_selection: AssetSelection | Sequence[object] | None = None,
    due_models_only: bool = True,
) -> SQLMeshAdaptiveSchedule:
    """A schedule (and its job) that runs the SQLMesh models whose cron is due at each tick.

    Args:
        sqlmesh_resource: The project; its manifest and translator give the job's asset keys.
        name: Schedule name.
        job_name: Name of the asset job the schedule launches (all models and their checks).
        cron_schedule: Override the cron computed by ``sqlmesh-pipes schedule`` (UTC, like
            SQLMesh crons).
        default_status: STOPPED by default: turn it on in the UI (or pass RUNNING).
        asset_selection: Override the job's selection (default: every model of the manifest,
            keyed by the resource's translator, with their checks).
        due_models_only: Each tick selects only the models due at it (see the module docstring)
            and skips when none is; False: every tick runs the whole job and SQLMesh alone
            decides. A tick runs the whole job anyway when a standalone audit is due (SQLMesh runs
            them only in a run of the whole project), when the schedule has no successful run yet
            (SQLMesh catches up whatever is missing), under ``ignore_cron``, or when
            ``asset_selection`` is given.

    Returns:
        ``(schedule, job, analysis)`` (a ``SQLMeshAdaptiveSchedule`` named tuple).
    """
    function = "sqlmesh_adaptive_schedule_factory"
    if not isinstance(sqlmesh_resource, SQLMeshResource):
        raise type_error(function, "sqlmesh_resource", "a SQLMeshResource", sqlmesh_resource)
    validate_name("schedule name", name)
    validate_name("job_name", job_name)

    whole_job_only = asset_selection is not None or not due_models_only or sqlmesh_resource.ignore_cron
    # Every run that touches the project's models, whichever job launched it, holds the tick back.
    project_keys = frozenset(spec.key for spec in sqlmesh_specs_for(sqlmesh_resource).asset_specs)
    if asset_selection is None:
        asset_selection = AssetSelection.assets(*project_keys)
    job = define_asset_job(
        name=job_name,
        selection=asset_selection,
        description="Every SQLMesh model: one `sqlmesh run`; SQLMesh decides what is due.",
    )

    adaptive: AdaptiveSchedule | None = None
    timezone = "UTC"
    if cron_schedule is None:
        adaptive = adaptive_cron_for(sqlmesh_resource)
        cron_schedule, timezone = adaptive.cron, adaptive.timezone
        description = (
            f"Adaptive SQLMesh schedule: {adaptive.cron} ({timezone}, every {adaptive.interval_seconds} s "
            f"at most) covers the model crons {', '.join(adaptive.crons)}."
        )
    else:
        description = f"SQLMesh schedule {cron_schedule} (UTC)."
    description += (
        " Each tick runs the whole job; SQLMesh decides what is due."
        if whole_job_only
        else " Each tick runs only the models whose cron is due (skipped when none is)."
    )
    description += " Skips a tick while a run of the project's models is queued or running."

    @schedule(
        name=name,
        cron_schedule=cron_schedule,
        job=job,
        execution_timezone=timezone,
        default_status=default_status,
        description=description,
    )
    def _sqlmesh_schedule(context: ScheduleEvaluationContext):
        blocking = blocking_run(context.instance, job_name, project_keys)
        if blocking is not None:
            run_id, other_job, status = blocking
            return SkipReason(
                errors.SCHEDULE_SKIP_IN_PROGRESS.format(run_id=run_id, job_name=other_job, status=status)
            )
        if whole_job_only:
            return RunRequest()
        return due_run_request(context, sqlmesh_resource, name)

    model_crons = {model.name: model.cron for model in sqlmesh_resource.get_manifest().models}
    analysis = SQLMeshScheduleAnalysis(cron=cron_schedule, model_crons=model_crons, adaptive=adaptive)
    return SQLMeshAdaptiveSchedule(_sqlmesh_schedule, job, analysis)


def due_run_request(
    context: ScheduleEvaluationContext,
    sqlmesh_resource: SQLMeshResource,
    schedule_name: str,
) -> RunRequest | SkipReason:
    """The tick's run: the models (and checks) due since the schedule's last successful run."""
    since = last_successful_tick(context.instance, schedule_name)
    if since is None:
        # No successful run yet: SQLMesh may owe intervals from any time, run everything once.
        return RunRequest()
    at = context.scheduled_execution_time.astimezone(dt_timezone.utc).isoformat()
    manifest = sqlmesh_resource.get_manifest()
    due = executor.due_nodes(
        node=sqlmesh_resource.node_executable,
        executor=sqlmesh_resource.resolved_executor_path,
        manifest_path=manifest.path or sqlmesh_resource.resolved_manifest_path,
        at=at,
        since=since,
    )
    if due.standalone_audits:
        return RunRequest(tags={DUE_SINCE_TAG: due.since})
    keys, checks = due_selection(sqlmesh_specs_for(sqlmesh_resource), due)
    if not keys and not checks:
        return SkipReason(errors.SCHEDULE_SKIP_NOTHING_DUE.format(at=due.at, since=due.since))
    return RunRequest(asset_selection=keys, asset_check_keys=checks, tags={DUE_SINCE_TAG: due.since})
