"""What the asset function passes to ``sqlmesh-pipes run`` in the Pipes ``extras``.

``RunExtras`` (generated from ``src/contracts/run-extras.ts``, strict there): the Pipes context
lists the selected asset keys but not which model each is, nor the selected checks. Asset key
strings are exactly what Dagster puts in the Pipes context: ``AssetKey.to_escaped_user_string()``
(parts joined by ``/``; ``\\`` and ``/`` inside a part escaped with ``\\``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from dagster import AssetCheckKey, AssetKey

from sqlmesh_pipes_contracts import (
    DEFAULT_TERMINATION_TIMEOUT_SECONDS,
    EXTRAS_KEY,
    ConsoleKind,
    RunExtras,
    SelectedCheck,
)

from .specs import SelectedCheckRef

__all__ = ["EXTRAS_KEY", "RunExtras", "SelectedCheck", "build_run_extras", "pipes_asset_key", "pipes_extras"]


def pipes_asset_key(key: AssetKey) -> str:
    """The asset key string as Dagster encodes it in the Pipes context."""
    return key.to_escaped_user_string()


def _iso(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def build_run_extras(
    *,
    models: Mapping[AssetKey, str],
    checks: Iterable[tuple[AssetCheckKey, SelectedCheckRef]],
    project_dir: str | Sequence[str],
    environment: str,
    gateway: str | None = None,
    ignore_cron: bool = False,
    sqlmesh_python: str | None = None,
    concurrent_tasks: int | None = None,
    manifest_path: str | None = None,
    execution_time: datetime | str | None = None,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    termination_timeout_seconds: float = DEFAULT_TERMINATION_TIMEOUT_SECONDS,
    console: ConsoleKind = "json",
    fetch_row_counts: bool = False,
    restate_models: Sequence[str] | None = None,
) -> RunExtras:
    """``RunExtras`` for the selected models (asset key → model name) and checks.

    Sorted, so the same selection always gives the same extras (and the same log lines).
    """
    selected_checks = tuple(
        SelectedCheck(
            asset_key=pipes_asset_key(check_key.asset_key),
            check_name=check_key.name,
            model=ref.model,
            audit=ref.audit,
            audit_index=ref.audit_index,
        )
        for check_key, ref in sorted(
            checks, key=lambda item: (pipes_asset_key(item[0].asset_key), item[0].name)
        )
    )
    return RunExtras(
        models={pipes_asset_key(key): models[key] for key in sorted(models, key=pipes_asset_key)},
        checks=selected_checks,
        # One project: `project_dir` as before (any executor reads it); several: `project_dirs`.
        **_project_fields(project_dir),
        environment=environment,
        gateway=gateway,
        ignore_cron=ignore_cron,
        sqlmesh_python=sqlmesh_python,
        concurrent_tasks=concurrent_tasks,
        manifest_path=manifest_path,
        execution_time=_iso(execution_time),
        start=_iso(start),
        end=_iso(end),
        termination_timeout_seconds=float(termination_timeout_seconds),
        console=console,
        # Only when asked: extras of runs without counts stay as they were.
        **({"fetch_row_counts": True} if fetch_row_counts else {}),
        **({"restate_models": tuple(restate_models)} if restate_models else {}),
    )


def _project_fields(project_dir: str | Sequence[str]) -> dict[str, Any]:
    dirs = [project_dir] if isinstance(project_dir, str) else list(project_dir)
    return {"project_dir": dirs[0]} if len(dirs) == 1 else {"project_dirs": tuple(dirs)}


def pipes_extras(extras: RunExtras) -> dict[str, Any]:
    """The whole Pipes ``extras`` object: ours under ``EXTRAS_KEY``."""
    return {EXTRAS_KEY: extras.to_json()}
