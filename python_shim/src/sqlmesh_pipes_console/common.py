"""What the SQLMesh-side commands (run, manifest) share: usage errors, argument parsing, project
discovery with SQLMesh's own list of config files, and one-line messages that name the fix."""

from __future__ import annotations

import argparse
import re
import typing as t
from pathlib import Path

# SQLMesh's own list (sqlmesh.core.config.common.ALL_CONFIG_FILENAMES) plus a dbt project, which
# SQLMesh loads too; used when the import fails (an older SQLMesh).
_FALLBACK_CONFIG_FILES = ("config.py", "config.yml", "config.yaml", "sqlmesh.yml", "sqlmesh.yaml")
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_MISSING_GATEWAY = re.compile(r"Missing gateway with name '([^']*)'")


class UsageError(Exception):
    """A problem the user fixes in their input or project: one line on stderr, exit 2."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing usage and exiting on its own."""

    def error(self, message: str) -> t.NoReturn:
        raise UsageError(message)


def one_line(error: object) -> str:
    """An error as one line: whitespace folded, SQLMesh's ANSI underlines removed."""
    text = " ".join(_ANSI_ESCAPE.sub("", str(error)).split())
    return text or type(error).__name__


def project_files() -> tuple[str, ...]:
    """File names that make a directory a SQLMesh project."""
    try:
        from sqlmesh.core.config.common import ALL_CONFIG_FILENAMES

        names = tuple(ALL_CONFIG_FILENAMES)
    except ImportError:  # pragma: no cover - depends on the SQLMesh version
        names = _FALLBACK_CONFIG_FILES
    return (*names, "dbt_project.yml")


def check_project(project: str | Path) -> Path:
    """The resolved project directory, or a UsageError naming what is missing and the fix."""
    path = Path(project).expanduser().resolve()
    if not path.is_dir():
        fix = "pass --project the SQLMesh project's folder"
        raise UsageError(f"SQLMesh project directory not found: {path} — {fix}")
    names = project_files()
    if not any((path / name).exists() for name in names):
        raise UsageError(
            f"no SQLMesh project in {path} (none of: {', '.join(names)}) — "
            "pass --project the folder with the project's config"
        )
    return path


def check_projects(projects: t.Sequence[str | Path]) -> list[Path]:
    """``check_project`` for each directory of a (multi-repo) project, in order; a repeat is a
    UsageError too (SQLMesh would load it once and drop the repeat silently)."""
    if not projects:
        raise UsageError(
            "no SQLMesh project given — pass --project DIR (once per repo of a multi-repo project)"
        )
    checked: list[Path] = []
    for project in projects:
        path = check_project(project)
        if path in checked:
            raise UsageError(f"SQLMesh project {path} is given twice — pass each --project once")
        checked.append(path)
    return checked


def explain_config_error(error: object, gateways: t.Iterable[str] = ()) -> str:
    """SQLMesh's ConfigError as one line, with the fix where we know it."""
    text = one_line(error)
    missing = _MISSING_GATEWAY.search(text)
    if missing:
        known = ", ".join(sorted(gateways)) or "none configured"
        return (
            f"gateway '{missing.group(1)}' is not in the project's config (gateways: {known}) — "
            "pass one of them as --gateway, or add it to the config"
        )
    return text


def gateway_names(configs: t.Mapping[t.Any, t.Any]) -> list[str]:
    """Gateway names of loaded SQLMesh configs (for messages)."""
    names: set[str] = set()
    for config in configs.values():
        gateways = getattr(config, "gateways", None)
        if isinstance(gateways, dict):
            names.update(str(name) for name in gateways)
    return sorted(names)
