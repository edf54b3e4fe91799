"""``sqlmesh_definitions_factory``: resource, assets, job and (optionally) schedule in one call."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from dagster import (
    DefaultScheduleStatus,
    Definitions,
    ExecutorDefinition,
    RetryPolicy,
    define_asset_job,
    in_process_executor,
)

from sqlmesh_pipes_contracts import DEFAULT_ENVIRONMENT

from . import errors
from .asset_factory import (
    SQLMESH_RESOURCE_KEY,
    partitions_for,
    sqlmesh_assets_factory,
    sqlmesh_external_asset_specs,
)
from .external_mapping import ExternalAssetMappingTranslator
from .resource import SQLMeshResource
from .schedule import sqlmesh_adaptive_schedule_factory
from .time_partitions import units_in
from .translator import SQLMeshTranslator

_log = logging.getLogger("sqlmesh_pipes")


def sqlmesh_definitions_factory(
    *,
    project_dir: str | Sequence[str],
    gateway: str | None = None,
    environment: str = DEFAULT_ENVIRONMENT,
    translator: SQLMeshTranslator | None = None,
    concurrency_limit: int | None = None,
    name: str = "sqlmesh_assets",
    group_name: str | None = None,
    op_tags: Mapping[str, Any] | None = None,
    retry_policy: RetryPolicy | None = None,
    ignore_cron: bool = False,
    fetch_row_counts: bool = False,
    time_partitions: bool | str = False,
    enable_schedule: bool = False,
    schedule_name: str = "sqlmesh_adaptive_schedule",
    job_name: str = "sqlmesh_job",
    schedule_default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED,
    sqlmesh_python: str | None = None,
    manifest_path: str | None = None,
    regenerate_manifest: bool = False,
    executor_path: str | None = None,
    node_executable: str = "node",
    pool: str | None = None,
    external_asset_mapping: str | None = None,
    owners: Sequence[str] | None = None,
    required_resource_keys: set[str] | None = None,
    executor: ExecutorDefinition | None = in_process_executor,
) -> Definitions:
    """Everything for one SQLMesh project: ``SQLMeshResource`` (key ``"sqlmesh"``), the assets,
    a job of all models and, with ``enable_schedule=True``, the adaptive schedule.

    Validated when the code location loads: every external dependency must map to an asset key
    through ``translator.get_external_asset_key`` (the error names the model, the dependency and
    the fix), asset keys must be unique, and arguments must be well-formed.

    The schedule is off by default because computing its cron runs the Node executor at load
    time; with ``enable_schedule=True`` it is created STOPPED unless ``schedule_default_status``
    says otherwise.

    ``project_dir`` is the project folder, or the folders of a multi-repo project in SQLMesh's
    load order (``sqlmesh -p repo_1 -p repo_2``); see ``SQLMeshResource.project_dir``.

    ``external_asset_mapping`` (dg-sqlmesh's template, e.g. ``"target/main/{node.name}"``) keys
    external tables when no ``translator`` is given; with a translator it is ignored (warning).
    ``owners`` are added to every model's; ``required_resource_keys`` to the step's.
    ``fetch_row_counts``: see ``SQLMeshResource.fetch_row_counts`` (off: one query per model).
    ``time_partitions``: see ``sqlmesh_assets_factory`` (partitions for incremental-by-time models);
    its job selects every model, so the partitioned models must share one interval unit.

    ``executor``: the whole project is ONE step, so Dagster's default multiprocess executor would
    only add a child process that imports the code location again before SQLMesh starts (2 s at
    100 models, 4 s at 1000 in scripts/bench-dagster.mjs); the in-process executor runs the step in
    the run's own process. It applies to every asset of these Definitions: pass ``executor=None``
    for Dagster's default, e.g. when you merge them with assets that should run in parallel.
    """
    if external_asset_mapping is not None:
        if translator is None:
            translator = ExternalAssetMappingTranslator(external_asset_mapping)
        else:
            _log.warning(errors.EXTERNAL_MAPPING_IGNORED.format(template=external_asset_mapping))
    resource = SQLMeshResource(
        project_dir=project_dir,
        gateway=gateway,
        environment=environment,
        concurrency_limit=concurrency_limit,
        ignore_cron=ignore_cron,
        fetch_row_counts=fetch_row_counts,
        sqlmesh_python=sqlmesh_python,
        manifest_path=manifest_path,
        regenerate_manifest=regenerate_manifest,
        executor_path=executor_path,
        node_executable=node_executable,
        translator=translator,
    )
    if time_partitions:
        # The job (and the schedule's) selects every model: one partitions definition at most.
        units = units_in(partitions_for(resource, time_partitions), resource.get_manifest())
        if len(units) > 1:
            listed = "; ".join(f"{unit}: {', '.join(models)}" for unit, models in units.items())
            raise errors.SQLMeshPipesDefinitionError(
                errors.MIXED_TIME_PARTITIONS.format(units=listed, first=next(iter(units)))
            )
    assets = sqlmesh_assets_factory(
        sqlmesh_resource=resource,
        name=name,
        group_name=group_name,
        op_tags=op_tags,
        retry_policy=retry_policy,
        pool=pool,
        owners=owners,
        time_partitions=time_partitions,
        required_resource_keys=required_resource_keys,
    )
    schedules = []
    if enable_schedule:
        schedule_def, job, _ = sqlmesh_adaptive_schedule_factory(
            sqlmesh_resource=resource,
            name=schedule_name,
            job_name=job_name,
            default_status=schedule_default_status,
        )
        schedules.append(schedule_def)
    else:
        job = define_asset_job(name=job_name, selection=[assets])
    return Definitions(
        assets=[assets, *sqlmesh_external_asset_specs(sqlmesh_resource=resource, group_name=group_name)],
        jobs=[job],
        schedules=schedules,
        resources={SQLMESH_RESOURCE_KEY: resource},
        executor=executor,
    )
