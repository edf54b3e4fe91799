"""`manifest --project DIR [--project DIR]... [--gateway G] [--out FILE]`: write the project manifest as JSON.

Several --project make a multi-repo project (`sqlmesh -p repo_1 -p repo_2`): one Context over all
of them, as SQLMesh's CLI builds it.

Runs in the SQLMesh env (only sqlmesh installed; never imports dagster). Loads the project with
a SQLMesh Context that reads no state, so it works before any plan and never touches the
environment. Exit codes follow the CLI contract: 0 written, 2 usage/configuration error (one
line on stderr), 1 anything unexpected (traceback on stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import typing as t
from pathlib import Path

from sqlmesh_pipes_console.common import (
    ArgumentParser,
    UsageError,
    check_projects,
    explain_config_error,
    gateway_names,
    one_line,
)
from sqlmesh_pipes_contracts import EXIT_OK, EXIT_USAGE, Manifest

# Unexpected errors propagate: Python prints the traceback and exits 1.
PROG = "sqlmesh-pipes manifest"


def main(argv: list[str]) -> int:
    """Parse argv (a leading "manifest" is allowed), write the manifest, return the exit code."""
    if argv and argv[0] == "manifest":
        argv = argv[1:]
    try:
        args = _parse(argv)
        manifest = build_project_manifest(
            [Path(project) for project in args.projects],
            gateway=args.gateway,
            exclude=[args.out] if args.out else [],
            lineage=not args.no_column_lineage,
        )
        _write(manifest, args.out)
    except UsageError as error:
        sys.stderr.write(f"{PROG}: {error}\n")
        return EXIT_USAGE
    return EXIT_OK


def build_project_manifest(
    project: Path | t.Sequence[Path],
    gateway: str | None = None,
    exclude: t.Sequence[str] = (),
    lineage: bool = True,
) -> Manifest:
    """Load the SQLMesh project at `project` (no state, no plan) and return its manifest; a list of
    directories is a multi-repo project, loaded together in that order."""
    projects = check_projects([project] if isinstance(project, (str, Path)) else list(project))

    # Offline by default: a manifest build must never phone home.
    os.environ.setdefault("SQLMESH__DISABLE_ANONYMIZED_ANALYTICS", "1")

    from sqlglot.errors import SqlglotError
    from sqlmesh import Context
    from sqlmesh.core.console import set_console
    from sqlmesh.utils.errors import ConfigError, SQLMeshError

    from sqlmesh_pipes_console.manifest_build import build_manifest

    set_console(_stderr_console())
    try:
        # Anything SQLMesh or user macros print must not end up inside the JSON on stdout.
        with contextlib.redirect_stdout(sys.stderr):
            context = Context(paths=[str(p) for p in projects], gateway=gateway, load_state=False)
            return build_manifest(context, projects, exclude=exclude, lineage=lineage)
    except ConfigError as error:
        raise UsageError(explain_config_error(error, _gateways(projects))) from error
    except (SQLMeshError, SqlglotError) as error:
        # An unparsable model, a missing file, and the SchemaError SQLMesh wraps model
        # validation errors in (e.g. a cron faster than 5 minutes): the user's to fix.
        raise UsageError(one_line(error)) from error


def _gateways(projects: list[Path]) -> list[str]:
    """The project's gateway names, for a message; [] when the config itself cannot load."""
    try:
        from sqlmesh import Context
        from sqlmesh.core.config import load_configs

        return gateway_names(load_configs(None, Context.CONFIG_TYPE, projects))
    except Exception:  # noqa: BLE001 - only used to word an error
        return []


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = ArgumentParser(prog=PROG, add_help=True)
    parser.add_argument(
        "--project",
        action="append",
        dest="projects",
        required=True,
        help="SQLMesh project directory; repeat it for a multi-repo project (in load order)",
    )
    parser.add_argument("--gateway", default=None, help="gateway to load (default: the project's default)")
    parser.add_argument("--out", default=None, help="write the JSON here instead of stdout")
    parser.add_argument(
        "--no-column-lineage", action="store_true", help="leave column lineage out (faster on huge projects)"
    )
    return parser.parse_args(argv)


def _write(manifest: Manifest, out: str | None) -> None:
    text = json.dumps(manifest.to_json(), indent=2, ensure_ascii=False) + "\n"
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader (Dagster code location) never sees a half-written file.
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from error


def _stderr_console() -> t.Any:
    from sqlmesh.core.console import NoopConsole

    class StderrWarningsConsole(NoopConsole):
        """Silent except for warnings and errors, which go to stderr (stdout may carry the JSON)."""

        def log_warning(
            self, short_message: str, long_message: str | None = None, *args: t.Any, **kwargs: t.Any
        ) -> None:
            sys.stderr.write(f"warning: {short_message.strip()}\n")

        def log_error(self, message: str, *args: t.Any, **kwargs: t.Any) -> None:
            sys.stderr.write(f"error: {message.strip()}\n")

    return StderrWarningsConsole()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
