"""Helpers for the Dagster end-to-end matrix (a uniquely named module: pytest puts every test dir
on sys.path, and two `helpers.py` would clash)."""

from __future__ import annotations

import contextlib
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetCheckEvaluation, AssetKey, ExecuteInProcessResult

from sqlmesh_pipes import sqlmesh_definitions_factory

DATABASE = "db.duckdb"


def key(model: str) -> AssetKey:
    """The default asset key of a model of the e2e projects (catalog `db` of the DuckDB file)."""
    return AssetKey(["db", *model.split(".")])


def shop_definitions(project: Path, **kwargs: Any):
    return sqlmesh_definitions_factory(project_dir=str(project), **kwargs)


def materialized(result: ExecuteInProcessResult) -> dict[AssetKey, dict[str, Any]]:
    """Asset key -> raw metadata of every materialization the run recorded (each key once)."""
    out: dict[AssetKey, dict[str, Any]] = {}
    for event in result.get_asset_materialization_events():
        assert event.asset_key not in out, f"{event.asset_key} materialized twice"
        out[event.asset_key] = {k: v.value for k, v in event.materialization.metadata.items()}
    return out


def check_evaluations(result: ExecuteInProcessResult) -> dict[tuple[str, str], AssetCheckEvaluation]:
    """(model, check name) -> the check evaluation."""
    out: dict[tuple[str, str], AssetCheckEvaluation] = {}
    for evaluation in result.get_asset_check_evaluations():
        model = ".".join(evaluation.asset_key.path[1:])
        name = (model, evaluation.check_name)
        assert name not in out, f"{name} evaluated twice"
        out[name] = evaluation
    return out


def step_failure_text(result: ExecuteInProcessResult) -> str:
    failures = result.get_step_failure_events()
    assert len(failures) == 1, [f.step_key for f in failures]
    return failures[0].event_specific_data.error.to_string()


def user_messages(instance, run_id: str, min_level: int = 0) -> list[str]:
    """Every user message of the run at ``min_level`` or above, and each line of a multi-line one:
    the executor sends log lines logged within a second of each other as one message."""
    messages: list[str] = []
    for record in instance.all_logs(run_id):
        if record.user_message and record.level >= min_level:
            messages.append(record.user_message)
            if "\n" in record.user_message:
                messages.extend(record.user_message.split("\n"))
    return messages


def evaluated_models(project: Path) -> set[str]:
    """Models with intervals in SQLMesh's state (what SQLMesh really evaluated), by model name."""
    with duckdb.connect(str(project / DATABASE), read_only=True) as con:
        rows = con.execute("SELECT DISTINCT name FROM sqlmesh._intervals WHERE NOT is_removed").fetchall()
    return {name.replace('"', "").removeprefix("db.") for (name,) in rows}


def row_count(project: Path, model: str) -> int:
    """Rows of the model's prod view."""
    with duckdb.connect(str(project / DATABASE), read_only=True) as con:
        return con.execute(f"SELECT COUNT(*) FROM {model}").fetchone()[0]


def write_items(project: Path, rows: list[tuple[str, str]]) -> None:
    """Replace data/items.csv (read by shop.items at run time, so no new plan is needed)."""
    lines = ["id,amount", *(f"{i},{a}" for i, a in rows)]
    (project / "data" / "items.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


GOOD_ITEMS = [("1", "10"), ("2", "20"), ("3", "30")]


def processes_mentioning(text: str) -> list[tuple[int, str]]:
    """(pid, command line) of live processes whose command line or cwd contains `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            cwd = os.readlink(entry / "cwd")
            state = next(
                (line.split()[1] for line in (entry / "status").read_text().splitlines() if line.startswith("State:")),
                "?",
            )
        except OSError:
            continue
        if state == "Z":  # a zombie has exited; its parent just has not reaped it
            continue
        if text in cmdline or cwd == text or cwd.startswith(text + "/"):
            found.append((int(entry.name), cmdline))
    return found


PROJECT_ENV_VAR = "SQLMESH_PIPES_E2E_PROJECT"
"""Project of `shop_job` (a reconstructable job is rebuilt by importing this module)."""


def shop_job():
    """The definitions factory's job for the project in $SQLMESH_PIPES_E2E_PROJECT (for `reconstructable`)."""
    return sqlmesh_definitions_factory(project_dir=os.environ[PROJECT_ENV_VAR]).get_job_def("sqlmesh_job")


def iso(epoch_ms: int) -> str:
    """An interval bound of SQLMesh's state (epoch milliseconds) as ISO UTC, like our metadata."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def merged(intervals: list[list[str]]) -> list[list[str]]:
    """Contiguous or overlapping [start, end) intervals joined (SQLMesh stores one row per committed
    batch, and a restated interval again)."""
    out: list[list[str]] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return out


PG_PORT_ENV = "SQLMESH_PIPES_PG_PORT"
PG_DATABASE_ENV = "SQLMESH_PIPES_PG_DATABASE"
GOOD_PG_ITEMS = [("1", "10"), ("2", "20"), ("3", "30")]


@contextlib.contextmanager
def pg_connect(server: dict, database: str):
    """A psycopg2 connection to ``database`` on the test server: autocommit (CREATE DATABASE
    cannot run in a transaction, which psycopg2's own ``with connection`` opens), closed after."""
    import psycopg2

    connection = psycopg2.connect(host=server["host"], port=server["port"], user=server["user"], dbname=database)
    connection.autocommit = True
    try:
        yield connection
    finally:
        connection.close()


def write_pg_items(server: dict, database: str, rows: list[tuple[str, str]]) -> None:
    """Replace raw.items (the pg_shop source SQLMesh reads but does not build)."""
    with pg_connect(server, database) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA IF NOT EXISTS raw")
        cursor.execute("CREATE TABLE IF NOT EXISTS raw.items (id TEXT, amount TEXT)")
        cursor.execute("TRUNCATE raw.items")
        cursor.executemany("INSERT INTO raw.items VALUES (%s, %s)", rows)
