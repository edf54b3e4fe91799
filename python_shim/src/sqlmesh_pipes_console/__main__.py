"""`python -m sqlmesh_pipes_console <command> ...`: the SQLMesh-side entry point.

Runs inside the SQLMesh env (only sqlmesh installed, never dagster). Each command lives in its
own module and is imported lazily, so a problem in one command never breaks the other.
Commands: `run` (run.py, one `sqlmesh run` with a JSON-lines console) and `manifest`
(manifest.py, the project manifest).
"""

from __future__ import annotations

import sys

from sqlmesh_pipes_contracts import EXIT_OK, EXIT_USAGE

USAGE = "usage: python -m sqlmesh_pipes_console {run,manifest} [options]"


def main(argv: list[str] | None = None) -> int:
    """Dispatch argv[0] to its command module and return that command's exit code."""
    argv = sys.argv[1:] if argv is None else argv
    command, rest = (argv[0], argv[1:]) if argv else (None, [])
    if command == "run":
        from sqlmesh_pipes_console.run import main as run_main

        return run_main(rest)
    if command == "manifest":
        from sqlmesh_pipes_console.manifest import main as manifest_main

        return manifest_main(rest)
    if command in ("-h", "--help"):
        sys.stdout.write(USAGE + "\n")
        return EXIT_OK
    what = f"unknown command {command!r}" if command else "missing command"
    sys.stderr.write(f"sqlmesh-pipes console: {what}; {USAGE}\n")
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
