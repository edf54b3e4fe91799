"""The fingerprint of a SQLMesh project's files: what a manifest was built from.

Standard library only: the SQLMesh side stores it in the manifest when it builds one, and the
Dagster side recomputes it when it loads one (without SQLMesh) to tell whether the project changed
since. Content, not modification times: a checkout or a copy must not make a manifest stale.

A multi-repo project (``sqlmesh -p repo_1 -p repo_2``) is several directories, in SQLMesh's load
order; its working directory (``working_directory``) is their common parent, where SQLMesh runs and
its manifest is written by default.
"""

from __future__ import annotations

import hashlib
import os
import typing as t
from collections.abc import Iterable, Sequence
from pathlib import Path

MANIFEST_FILENAME = "sqlmesh-pipes-manifest.json"
"""Where a project's manifest is written by default (relative to its working directory: the
project itself, or the common parent of a multi-repo project's directories)."""

ProjectDirs: t.TypeAlias = "str | os.PathLike[str] | Sequence[str | os.PathLike[str]]"
"""One project directory, or the directories of a multi-repo project in load order."""

# Folders that hold SQLMesh's or other tools' output, never project definitions.
_SKIPPED_DIRS = frozenset(
    {".cache", "logs", "target", "dbt_packages", "__pycache__", "node_modules", ".venv", "venv", ".git"}
)
# What SQLMesh (and its dbt loader) reads definitions from: configs, models, macros, audits,
# signals, seeds. Anything else (data files models read at run time, engine files, logs) does not
# change the manifest.
_DEFINITION_SUFFIXES = (".sql", ".py", ".yaml", ".yml", ".csv")
CONTENT_LIMIT_BYTES = 1024 * 1024
"""Larger files (a big seed) count by size, not content: a code location must load fast."""


def project_files(
    project: str | os.PathLike[str], *, exclude: Iterable[str | os.PathLike[str]] = ()
) -> list[Path]:
    """The files a project is defined by, sorted: definition files (``.sql``, ``.py``, ``.yaml``,
    ``.yml``, ``.csv``) below it, outside output folders and hidden entries, but the default
    manifest and the paths in ``exclude``."""
    root = Path(project).resolve()
    excluded = {Path(path).resolve() for path in exclude}
    files: list[Path] = []
    for directory, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        for name in names:
            if name.startswith(".") or name == MANIFEST_FILENAME or not name.endswith(_DEFINITION_SUFFIXES):
                continue
            path = Path(directory) / name
            if path not in excluded:
                files.append(path)
    return sorted(files)


def project_dirs(project: ProjectDirs) -> list[Path]:
    """One project directory, or a multi-repo project's, as absolute paths in the given order
    (symbolic links kept, as the Node side's ``path.resolve`` keeps them)."""
    if isinstance(project, (str, os.PathLike)):
        return [Path(os.path.abspath(project))]
    return [Path(os.path.abspath(p)) for p in project]


def working_directory(project: ProjectDirs) -> Path:
    """Where SQLMesh runs for this project: the project itself, or the deepest directory that holds
    every directory of a multi-repo project (the folder ``sqlmesh -p repo_1 -p repo_2`` is run from
    in SQLMesh's multi-repo example). Relative paths in the configs, such as a DuckDB ``database``,
    resolve against it."""
    dirs = project_dirs(project)
    if not dirs:
        raise ValueError("no SQLMesh project directory given")
    return Path(os.path.commonpath(dirs))


def project_fingerprint(project: ProjectDirs, *, exclude: Iterable[str | os.PathLike[str]] = ()) -> str:
    """SHA-256 over every project file's relative path and content (see ``project_files``); a file
    over ``CONTENT_LIMIT_BYTES`` by its size. For a multi-repo project, over each directory in turn
    (the order matters to SQLMesh: the first config gives the connection; a later model wins a name
    clash), each one's files relative to it."""
    dirs = project_dirs(project)
    excluded = list(exclude)
    if len(dirs) == 1:
        return _fingerprint(dirs[0], excluded, hashlib.sha256()).hexdigest()
    digest = hashlib.sha256()
    for index, root in enumerate(dirs):
        digest.update(f"project {index}: {root.name}\0".encode())
        _fingerprint(root, excluded, digest)
    return digest.hexdigest()


def _fingerprint(root: Path, exclude: list[str | os.PathLike[str]], digest: t.Any) -> t.Any:
    for path in project_files(root, exclude=exclude):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        try:
            size = path.stat().st_size
            digest.update(path.read_bytes() if size <= CONTENT_LIMIT_BYTES else f"size {size}".encode())
        except OSError:  # unreadable or vanished while walking: its absence is the fingerprint
            digest.update(b"\0unreadable")
        digest.update(b"\0")
    return digest
