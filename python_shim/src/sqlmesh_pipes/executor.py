"""Locating the Node executor (``sqlmesh-pipes``) and running its short commands.

``run`` goes through Dagster Pipes (see ``resource.py``); ``schedule`` and ``manifest`` are plain
subprocesses used at definition time, handled here. A failing command's last stderr line (the
CLI prints one line per usage error) becomes the exception message.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from sqlmesh_pipes_contracts import (
    AdaptiveSchedule,
    ContractError,
    DueNodes,
    read_adaptive_schedule,
    read_due_nodes,
)

from . import errors

_T = TypeVar("_T")

EXECUTOR_ENV_VAR = "SQLMESH_PIPES_EXECUTOR"
"""Overrides the default executor path."""

EXECUTOR_BIN = "sqlmesh-pipes"
"""The npm package's command: ``node_modules/.bin/sqlmesh-pipes`` or a global install."""

# python_shim/src/sqlmesh_pipes/executor.py → the repository (npm package) root, when this package
# is installed editable from a checkout (or used from the npm package's python_shim/src).
PACKAGE_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_EXECUTOR_PATH = PACKAGE_ROOT / "dist" / "cli.js"

SHORT_COMMAND_TIMEOUT_SECONDS = 120.0
"""``schedule`` is instant; ``manifest`` loads the SQLMesh project (can take a while)."""


def resolve_executor_path(explicit: str | None, *, cwd: str | None = None) -> str:
    """The executor's JS file: ``explicit`` (the resource's ``executor_path``) >
    ``$SQLMESH_PIPES_EXECUTOR`` > the checkout's ``dist/cli.js`` > ``./node_modules/.bin/sqlmesh-pipes``
    > ``sqlmesh-pipes`` on PATH (npm links resolved: node runs the file they point to)."""
    chosen = explicit or os.environ.get(EXECUTOR_ENV_VAR)
    if chosen:
        return chosen
    if DEFAULT_EXECUTOR_PATH.is_file():
        return str(DEFAULT_EXECUTOR_PATH)
    local = Path(cwd or os.getcwd()) / "node_modules" / ".bin" / EXECUTOR_BIN
    found = str(local) if local.is_file() else shutil.which(EXECUTOR_BIN)
    # Not found anywhere: name the checkout's path so the error says what was expected.
    return os.path.realpath(found) if found else str(DEFAULT_EXECUTOR_PATH)


def check_executor(executor: str) -> None:
    if not Path(executor).is_file():
        raise errors.SQLMeshPipesExecutorError(errors.EXECUTOR_NOT_FOUND.format(path=executor))


def run_short_command(argv: Sequence[str], *, timeout: float = SHORT_COMMAND_TIMEOUT_SECONDS) -> str:
    """Run ``argv`` (a whole executor command), return its stdout, or raise with its error line."""
    check_executor(argv[1])
    shown = " ".join(argv)
    try:
        proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise errors.SQLMeshPipesExecutorError(errors.NODE_NOT_FOUND.format(node=argv[0])) from None
    except subprocess.TimeoutExpired:
        raise errors.SQLMeshPipesExecutorError(
            errors.EXECUTOR_COMMAND_FAILED.format(
                command=shown, code="timeout", message=f"no answer in {timeout:.0f} s"
            )
        ) from None
    if proc.returncode != 0:
        lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
        message = lines[-1] if lines else (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
        raise errors.SQLMeshPipesExecutorError(
            errors.EXECUTOR_COMMAND_FAILED.format(command=shown, code=proc.returncode, message=message)
        )
    return proc.stdout


def parse_schedule_output(stdout: str, *, command: str) -> AdaptiveSchedule:
    """Read ``sqlmesh-pipes schedule``'s answer (``AdaptiveSchedule``, strict)."""
    return _parse(read_adaptive_schedule, stdout, command=command)


def due_nodes(
    *,
    node: str,
    executor: str,
    manifest_path: str,
    at: str,
    since: str | None,
    schedule_cron: str | None = None,
    schedule_tz: str | None = None,
) -> DueNodes:
    """The nodes due at tick ``at`` after a run at ``since`` (default: the schedule's previous
    tick), from ``sqlmesh-pipes due``."""
    argv = [node, executor, "due", "--manifest", manifest_path, "--at", at]
    if since is not None:
        argv += ["--since", since]
    elif schedule_cron is not None:
        argv += ["--schedule-cron", schedule_cron]
        if schedule_tz is not None:
            argv += ["--schedule-tz", schedule_tz]
    return _parse(read_due_nodes, run_short_command(argv), command=" ".join(argv))


def _parse(reader: Callable[[object], _T], stdout: str, *, command: str) -> _T:
    try:
        return reader(json.loads(stdout))
    except (ValueError, ContractError) as e:
        raise errors.SQLMeshPipesExecutorError(
            errors.EXECUTOR_BAD_OUTPUT.format(command=command, output=stdout[:200], error=e)
        ) from None


def adaptive_cron(*, node: str, executor: str, manifest_path: str, ignore_cron: bool) -> AdaptiveSchedule:
    """The schedule's cron, from ``sqlmesh-pipes schedule --manifest FILE [--ignore-cron]``."""
    argv = [node, executor, "schedule", "--manifest", manifest_path]
    if ignore_cron:
        argv.append("--ignore-cron")
    return parse_schedule_output(run_short_command(argv), command=" ".join(argv))


def generate_manifest(
    *,
    node: str,
    executor: str,
    project_dir: str | Sequence[str],
    out: str,
    gateway: str | None,
    sqlmesh_python: str | None,
) -> None:
    """Write the manifest with ``sqlmesh-pipes manifest`` (needs the SQLMesh env); several
    ``project_dir`` are a multi-repo project, passed in order."""
    argv = [node, executor, "manifest"]
    for directory in [project_dir] if isinstance(project_dir, str) else project_dir:
        argv += ["--project", directory]
    if gateway:
        argv += ["--gateway", gateway]
    if sqlmesh_python:
        argv += ["--sqlmesh-python", sqlmesh_python]
    argv += ["--out", out]
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    run_short_command(argv, timeout=600.0)
