"""``SQLMeshRunConfig``: what one run of the SQLMesh assets may ask of ``sqlmesh run``.

The run config of the multi-asset's op (the launchpad's ``ops: {sqlmesh_assets: {config: …}}``,
or ``RunRequest(run_config=…)`` from a schedule or sensor). Empty by default: a plain
``sqlmesh run`` of what is due; ``restate_models`` makes it a restatement instead. The executor
checks the values (ISO-8601, ``start`` with ``end``) and fails the step with a one-line error
naming the fix.
"""

from __future__ import annotations

from dagster import Config
from pydantic import Field


class SQLMeshRunConfig(Config):
    """Per-run options of ``sqlmesh run`` (see the module docstring)."""

    start: str | None = Field(
        default=None,
        description="Backfill window start (ISO-8601 date or time, with `end`): `sqlmesh run --start`. "
        "SQLMesh evaluates the selected models' missing intervals in the window; intervals it already "
        "has are not evaluated again (that would be a restatement).",
    )
    end: str | None = Field(
        default=None,
        description="Backfill window end (ISO-8601, with `start`): `sqlmesh run --end`. As in SQLMesh, "
        "a date includes that whole day (start 2024-01-02, end 2024-01-02: one daily interval).",
    )
    execution_time: str | None = Field(
        default=None,
        description="Run as if it were this time (ISO-8601): `sqlmesh run --execution-time`; decides "
        "which cron intervals are complete.",
    )
    restate_models: list[str] | None = Field(
        default=None,
        description="Re-process intervals SQLMesh already has (opt-in): SQLMesh's restatement plan "
        "(`sqlmesh plan ENV --restate-model M`) of these models (names as in the project), with "
        "`start`/`end` as its window (none: their whole history). SQLMesh restates their downstream "
        "models too, which this run must select as well; refused while the project has changes not "
        "applied to the environment (a restatement never deploys code).",
    )
    ignore_cron: bool | None = Field(
        default=None,
        description="Evaluate missing intervals even when a model's cron says it is not due "
        "(`sqlmesh run --ignore-cron`); unset: the resource's `ignore_cron`.",
    )
