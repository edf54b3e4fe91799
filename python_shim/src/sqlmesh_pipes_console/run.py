"""`run --project DIR [--project DIR]... [...]`: one `sqlmesh run` with the JSON console (json_console.py).

Several --project make a multi-repo project (`sqlmesh -p repo_1 -p repo_2 run`): SQLMesh takes the
connection and state from the first one's config; the caller picks the working directory.

Semantics follow SQLMesh's own `sqlmesh run`, except that a selection never pulls in upstream
models (no auto-upstream: Dagster decides what runs). Exit codes: 0 success or nothing due,
1 a model/audit failed or SQLMesh raised (its "Error: ..." cases), 2 usage or configuration
error (one line on stderr), 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import typing as t
from pathlib import Path

from sqlmesh_pipes_console.audit_only import audit_models
from sqlmesh_pipes_console.common import (
    ArgumentParser,
    UsageError,
    check_projects,
    explain_config_error,
    gateway_names,
    one_line,
)
from sqlmesh_pipes_console.restate import restate_models
from sqlmesh_pipes_contracts import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    NOTHING_TO_DO_PREFIX,
    EnvironmentSnapshots,
    LogLine,
    NothingToDo,
    RunFinished,
    RunStarted,
)

PROG = "sqlmesh-pipes run"


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse `run` options."""
    parser = ArgumentParser(prog=PROG, add_help=False)
    parser.add_argument("--project", action="append", dest="projects", required=True)
    parser.add_argument("--environment", default=None)
    parser.add_argument("--gateway", default=None)
    parser.add_argument("--select-model", action="append", dest="select_models", default=None)
    parser.add_argument("--ignore-cron", action="store_true")
    parser.add_argument("--fetch-row-counts", action="store_true")
    parser.add_argument("--execution-time", default=None)
    parser.add_argument("--start", default=None)
    parser.add_argument("--end", default=None)
    parser.add_argument("--concurrent-tasks", type=int, default=None)
    parser.add_argument("--skip-janitor", action="store_true")
    # Models (FQNs) to audit in place after the run, over the environment's intervals.
    parser.add_argument("--audit-model", action="append", dest="audit_models", default=[])
    # Only audit the --audit-model models: no `sqlmesh run` at all.
    parser.add_argument("--audit-only", action="store_true")
    # Instead of `sqlmesh run`: SQLMesh's restatement plan of these models (restate.py).
    parser.add_argument("--restate-model", action="append", dest="restate_models", default=[])
    args = parser.parse_args(argv)
    if args.audit_only and not args.audit_models:
        raise UsageError("--audit-only needs at least one --audit-model FQN")
    if args.audit_only and args.select_models:
        raise UsageError("--audit-only runs no model: drop --select-model or --audit-only")
    if args.restate_models and (args.audit_only or args.ignore_cron):
        raise UsageError(
            "--restate-model applies a restatement plan: it does not go with --audit-only or --ignore-cron"
        )
    if args.concurrent_tasks is not None and args.concurrent_tasks < 1:
        raise UsageError(f"--concurrent-tasks must be at least 1, got {args.concurrent_tasks}")
    return args


def main(argv: list[str]) -> int:
    """Run SQLMesh once and return the exit code; events go to the channel (channel.py)."""
    # Offline by default: a run must never phone home (the Node side sets it too).
    os.environ.setdefault("SQLMESH__DISABLE_ANONYMIZED_ANALYTICS", "1")
    from sqlmesh_pipes_console.channel import EventChannel

    try:
        channel = EventChannel.from_env()
    except ValueError as error:
        sys.stderr.write(f"{PROG}: {error}\n")
        return EXIT_USAGE
    try:
        args = parse_args(argv)
        projects = check_projects(args.projects)
        context, console = _build_context(projects, args, channel)
    except UsageError as error:
        return _finish_error(channel, EXIT_USAGE, str(error), "UsageError")
    return _run(context, console, args, channel)


def _build_context(projects: list[Path], args: argparse.Namespace, channel: t.Any) -> tuple[t.Any, t.Any]:
    """Install our console, load the config (with the concurrency override) and build the Context."""
    from sqlmesh.core.console import set_console
    from sqlmesh.core.context import Context
    from sqlmesh.utils.errors import ConfigError

    from sqlmesh_pipes_console.json_console import JsonConsole

    # The Context reads the global console when it is built: set ours first.
    console = JsonConsole(channel)
    set_console(console)
    configs: dict[t.Any, t.Any] = {}
    try:
        from sqlmesh.core.config import load_configs

        configs = load_configs(None, Context.CONFIG_TYPE, projects)
        if args.concurrent_tasks is not None:
            _override_concurrency(configs, args.gateway, args.concurrent_tasks)
        # load=False like `sqlmesh run`: it runs what the last applied plan stored. A restatement
        # is a plan: it compares the project with the environment, so it loads the project.
        context = Context(
            paths=projects,
            config=configs,
            gateway=args.gateway,
            load=bool(args.restate_models),
            concurrent_tasks=args.concurrent_tasks,
        )
        # Fail here, as configuration, rather than mid-run: a bad gateway or connection.
        _ = context.connection_config
    except ConfigError as error:
        raise UsageError(explain_config_error(error, gateway_names(configs))) from None
    _tap_audit_notifications(context, console)
    if args.fetch_row_counts:
        from sqlmesh_pipes_console.row_counts import count_rows

        console.count_rows = lambda snapshot: count_rows(context.engine_adapter, snapshot)
    return context, console


def _override_concurrency(configs: dict[t.Any, t.Any], gateway: str | None, tasks: int) -> None:
    """Make the gateway's connection allow `tasks` concurrent tasks, so the engine adapter is
    built multithreaded (Context(concurrent_tasks=...) alone only sizes the scheduler)."""
    from sqlmesh.utils.errors import ConfigError

    for config in configs.values():
        name = gateway or config.default_gateway_name
        try:
            connection = config.get_connection(name)
        except ConfigError:
            continue  # reported by the Context with SQLMesh's own message
        if connection is not None and hasattr(connection, "concurrent_tasks"):
            object.__setattr__(connection, "concurrent_tasks", tasks)


def _tap_audit_notifications(context: t.Any, console: t.Any) -> None:
    """Hand each failing AuditError (name, args, count, query) to the console.

    SQLMesh notifies AUDIT_FAILURE with the real error object before it warns (non-blocking)
    or raises (blocking); the warning text alone lacks the audit's arguments.
    """
    manager = getattr(context, "notification_target_manager", None)
    notify = getattr(manager, "notify", None)
    if manager is None or not callable(notify):
        return
    try:
        from sqlmesh.core.notification_target import NotificationEvent

        audit_failure = NotificationEvent.AUDIT_FAILURE
    except (ImportError, AttributeError):
        return

    def tapped(event: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
        if event == audit_failure and args:
            console.on_audit_failure(args[0])
        notify(event, *args, **kwargs)

    try:
        manager.notify = tapped
    except (AttributeError, TypeError, ValueError):
        pass


def _run(context: t.Any, console: t.Any, args: argparse.Namespace, channel: t.Any) -> int:
    import sqlmesh
    from sqlglot.errors import SqlglotError
    from sqlmesh.utils.errors import SQLMeshError

    environment = args.environment or context.config.default_target_environment
    channel.write(
        RunStarted(
            environment=environment,
            sqlmesh_version=getattr(sqlmesh, "__version__", None),
            execution_time=args.execution_time,
            selected_models=tuple(args.select_models) if args.select_models is not None else None,
            gateway=context.selected_gateway,
            concurrent_tasks=context.concurrent_tasks,
            restated_models=tuple(args.restate_models) if args.restate_models else None,
        ).to_json()
    )
    _report_environment(context, environment, channel)
    try:
        status = None
        if args.restate_models:
            status = restate_models(
                context,
                environment,
                args.restate_models,
                start=args.start,
                end=args.end,
                execution_time=args.execution_time,
                selected=args.select_models,
            )
        elif not args.audit_only:
            status = context.run(
                environment,
                start=args.start,
                end=args.end,
                execution_time=args.execution_time,
                skip_janitor=args.skip_janitor,
                ignore_cron=args.ignore_cron,
                select_models=args.select_models,
                # Dagster chose exactly these models; never run their upstream behind its back.
                no_auto_upstream=True,
            )
        if args.audit_models:
            console.auditing = True
            audited = audit_models(
                context, environment, args.audit_models, execution_time=args.execution_time, channel=channel
            )
            status = _combined(status, audited)
    except KeyboardInterrupt:
        return _finish_error(channel, EXIT_INTERRUPTED, "interrupted", "KeyboardInterrupt")
    except UsageError as error:  # a refused restatement
        return _finish_error(channel, EXIT_USAGE, str(error), "UsageError")
    except (SQLMeshError, SqlglotError, ValueError) as error:
        # What `sqlmesh run` prints as "Error: ..." and exits 1 for.
        return _finish_error(channel, EXIT_FAILED, str(error), type(error).__name__, prefix="Error")
    except Exception as error:  # noqa: BLE001 - e.g. engine errors outside a batch (DuckDB lock)
        traceback.print_exc()
        return _finish_error(channel, EXIT_FAILED, str(error), type(error).__name__, quiet=True)
    finally:
        try:
            context.close()
        except Exception:  # noqa: BLE001 - closing must not hide the run's outcome
            pass

    if status is None or getattr(status, "is_nothing_to_do", False):
        if not console.nothing_to_do_reported:
            message = f"{NOTHING_TO_DO_PREFIX}."
            channel.write(NothingToDo(message=message, next_ready_at=None).to_json())
        channel.write(RunFinished(status="nothing_to_do", message=None, error_class=None).to_json())
        return EXIT_OK
    if getattr(status, "is_failure", False):
        channel.write(RunFinished(status="failed", message="Run failed.", error_class=None).to_json())
        sys.stderr.write("Error: Run failed.\n")
        return EXIT_FAILED
    channel.write(RunFinished(status="success", message=None, error_class=None).to_json())
    return EXIT_OK


def _combined(run: t.Any, audit: t.Any) -> t.Any:
    """One completion status for a run followed by an in-place audit: a failure of either fails;
    nothing to do only when neither did anything."""
    statuses = [status for status in (run, audit) if status is not None]
    for status in statuses:
        if getattr(status, "is_failure", False):
            return status
    for status in statuses:
        if not getattr(status, "is_nothing_to_do", False):
            return status
    return statuses[0] if statuses else None


def _report_environment(context: t.Any, environment: str, channel: t.Any) -> None:
    """The snapshot identifier of every node the environment holds, by FQN (or audit name).

    The Node side compares them with the manifest's fingerprints: a manifest that no longer
    matches what SQLMesh runs is named in the run (a stale-manifest warning), not discovered later.
    A missing environment is left to `Context.run`, which reports it in SQLMesh's own words.
    """
    try:
        state = context.state_reader.get_environment(environment)
    except Exception as error:  # noqa: BLE001 - the run itself will report state problems
        message = f"environment {environment!r} not read: {error}"
        channel.write(LogLine(level="DEBUG", message=message, source="console").to_json())
        return
    if state is None:
        return
    fingerprints = {str(s.name): str(s.identifier) for s in state.snapshots}
    channel.write(EnvironmentSnapshots(environment=environment, fingerprints=fingerprints).to_json())


def _finish_error(
    channel: t.Any, code: int, message: str, error_class: str, prefix: str = PROG, quiet: bool = False
) -> int:
    channel.write(RunFinished(status="error", message=message, error_class=error_class).to_json())
    if not quiet:
        sys.stderr.write(f"{prefix}: {one_line(message)}\n")
    return code
