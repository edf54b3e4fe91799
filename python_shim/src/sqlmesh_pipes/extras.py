"""What the asset function passes to ``sqlmesh-pipes run`` in the Pipes ``extras``.

Mirrors ``src/extras.ts`` (``RunExtras``, strict): the Pipes context lists the selected asset
keys but not which model each is, nor the selected checks. Asset key strings are exactly what
Dagster puts in the Pipes context: ``AssetKey.to_escaped_user_string()`` (parts joined by ``/``;
``\\`` and ``/`` inside a part escaped with ``\\``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypedDict

from dagster import AssetCheckKey, AssetKey

from .specs import SelectedCheckRef

EXTRAS_KEY = "sqlmesh_pipes"
EXTRAS_VERSION = 1


class SelectedCheck(TypedDict):
    asset_key: str
    check_name: str
    model: str
    audit: str
    audit_index: int


class RunExtras(TypedDict, total=False):
    version: int
    models: dict[str, str]
    checks: list[SelectedCheck]
    project_dir: str
    environment: str
    gateway: str | None
    ignore_cron: bool
    execution_time: str | None
    start: str | None
    end: str | None
    sqlmesh_python: str | None
    concurrent_tasks: int | None
    manifest_path: str | None
    termination_timeout_seconds: float
    console: str


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
    project_dir: str,
    environment: str,
    gateway: str | None = None,
    ignore_cron: bool = False,
    sqlmesh_python: str | None = None,
    concurrent_tasks: int | None = None,
    manifest_path: str | None = None,
    execution_time: datetime | str | None = None,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    termination_timeout_seconds: float = 20.0,
    console: str = "json",
) -> RunExtras:
    """``RunExtras`` for the selected models (asset key → model name) and checks.

    Sorted, so the same selection always gives the same extras (and the same log lines).
    """
    selected_checks: list[SelectedCheck] = [
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
    ]
    extras: RunExtras = {
        "version": EXTRAS_VERSION,
        "models": {pipes_asset_key(key): models[key] for key in sorted(models, key=pipes_asset_key)},
        "checks": selected_checks,
        "project_dir": project_dir,
        "environment": environment,
        "gateway": gateway,
        "ignore_cron": ignore_cron,
        "sqlmesh_python": sqlmesh_python,
        "concurrent_tasks": concurrent_tasks,
        "manifest_path": manifest_path,
        "execution_time": _iso(execution_time),
        "start": _iso(start),
        "end": _iso(end),
        "termination_timeout_seconds": float(termination_timeout_seconds),
        "console": console,
    }
    return extras


def pipes_extras(extras: RunExtras) -> dict[str, Any]:
    """The whole Pipes ``extras`` object: ours under ``EXTRAS_KEY``."""
    return {EXTRAS_KEY: dict(extras)}
