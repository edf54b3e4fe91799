"""The manifest a code location loads, made ready first: built when missing, rebuilt when stale
under ``dagster dev`` (or when asked), and named in a WARNING when stale in production, where
it is a deploy artifact (``sqlmesh-pipes manifest``).

Staleness is the project's file fingerprint (``sqlmesh_pipes_console.project_files``, standard
library only) against the one the manifest was built from: an up-to-date manifest loads without
SQLMesh and without Node, as before. A multi-repo project's fingerprint covers every repo.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dagster import get_dagster_logger

from sqlmesh_pipes_console.project_files import project_fingerprint, working_directory

from . import errors
from .manifest import read_manifest_file

# Dagster's logger: shown by `dagster dev` and code servers at INFO.
_log = get_dagster_logger("sqlmesh_pipes")

DEV_CLI_ENV_VAR = "DAGSTER_IS_DEV_CLI"
"""Set by ``dagster dev`` (dagster-dbt's ``prepare_if_dev`` reads it too)."""

_PREPARED: set[str] = set()
"""Manifests made ready by this process (once each, however many factories ask)."""


@dataclass(frozen=True)
class SQLMeshPython:
    """The python of the SQLMesh env, and why that one (for the log)."""

    path: str | None
    """None: the executor's own default ($SQLMESH_PIPES_PYTHON, its .venv, python3)."""
    source: str


def sqlmesh_python_for(
    project_dir: str | Sequence[str], explicit: str | None, environ: Mapping[str, str] = os.environ
) -> SQLMeshPython:
    """``sqlmesh_python`` if given, else the project's virtualenv (of a multi-repo project: the
    first repo's that has one, else their common parent folder's), else the python of the
    ``sqlmesh`` on PATH, else the executor's default."""
    if explicit:
        return SQLMeshPython(explicit, "SQLMeshResource.sqlmesh_python")
    dirs = [project_dir] if isinstance(project_dir, str) else list(project_dir)
    places = [(Path(d), "the project's") for d in dirs]
    if len(dirs) > 1:
        places.append((working_directory(dirs), "the projects' parent folder's"))
    for place, whose in places:
        for venv in (".venv", "venv"):
            candidate = place / venv / "bin" / "python"
            if candidate.exists():
                return SQLMeshPython(
                    str(candidate), f"{whose} {venv}" + (f" ({place})" if len(dirs) > 1 else "")
                )
    script = shutil.which("sqlmesh", path=environ.get("PATH"))
    interpreter = _script_interpreter(script) if script else None
    if interpreter is not None:
        return SQLMeshPython(interpreter, f"the sqlmesh on PATH ({script})")
    return SQLMeshPython(None, "the executor's default ($SQLMESH_PIPES_PYTHON, its .venv, else python3)")


def _script_interpreter(script: str) -> str | None:
    """The python a console script runs with, from its ``#!`` line."""
    try:
        with open(script, "rb") as f:
            first = f.readline(512).decode("utf-8", "replace").strip()
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    interpreter = first[2:].strip().split()[0] if first[2:].strip() else ""
    return interpreter if interpreter and Path(interpreter).exists() else None


def prepare_manifest(
    *,
    manifest_path: str,
    project_dir: str | Sequence[str],
    regenerate: bool,
    build: Callable[[SQLMeshPython], None],
    python: SQLMeshPython,
    hint: str,
    environ: Mapping[str, str] = os.environ,
) -> None:
    """Build the manifest when missing or asked to; when it is stale, rebuild it under ``dagster
    dev`` or warn. Once per manifest and process."""
    if manifest_path in _PREPARED:
        return
    is_dev = bool(environ.get(DEV_CLI_ENV_VAR))
    if regenerate or not Path(manifest_path).is_file():
        why = "regeneration was asked for" if regenerate else "there is none yet"
        _build(manifest_path, why, build, python)
    else:
        try:
            built_from = read_manifest_file(manifest_path, hint=hint).project_fingerprint
        except errors.SQLMeshPipesManifestError:
            if not is_dev:
                raise  # names the file, what is wrong and the fix
            built_from = None
            _build(manifest_path, "it cannot be read by this release (dagster dev)", build, python)
        else:
            if built_from is not None and built_from != project_fingerprint(
                project_dir, exclude=[manifest_path]
            ):
                if is_dev:
                    _build(
                        manifest_path, "the project changed since it was built (dagster dev)", build, python
                    )
                else:
                    _log.warning(errors.MANIFEST_STALE.format(manifest_path=manifest_path, hint=hint))
    _PREPARED.add(manifest_path)


def _build(
    manifest_path: str, why: str, build: Callable[[SQLMeshPython], None], python: SQLMeshPython
) -> None:
    shown = python.path or "the executor's default python"
    _log.info(f"building the SQLMesh manifest {manifest_path} ({why}) with {shown}, from {python.source}.")
    build(python)
