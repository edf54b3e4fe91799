"""The truth matrix on PostgreSQL (test/fixtures/e2e-projects/pg_shop): warehouse and SQLMesh
state on a throwaway server on 127.0.0.1 (scripts/postgres.mjs), one database per test. Dagster
must record exactly what SQLMesh did — judged against the intervals in SQLMesh's own state, in
PostgreSQL: all due, nothing due, a SQL error, blocking and non-blocking audits, a subset."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest
from dagster import AssetCheckSeverity, AssetKey, AssetSelection, DagsterRunStatus, instance_for_test, materialize
from dagster_e2e_helpers import (
    PG_DATABASE_ENV,
    check_evaluations,
    key,
    materialized,
    pg_connect,
    processes_mentioning,
    step_failure_text,
    user_messages,
    write_pg_items,
)
from test_dagster_sqlmesh_termination import ALL_SLOW, run_and_terminate, slow_definitions

from sqlmesh_pipes import SQLMeshResource, sqlmesh_assets_factory

ALL_MODELS = {"pg.items", "pg.items_summary", "pg.events"}


def pg_key(model: str) -> AssetKey:
    """A pg_shop model's asset key: the catalog is the test's database."""
    return AssetKey([os.environ[PG_DATABASE_ENV], *model.split(".")])


def materialized_models(result) -> set[str]:
    return {".".join(event.asset_key.path[-2:]) for event in result.get_asset_materialization_events()}


def evaluated(server: dict, database: str | None = None) -> set[str]:
    """Models with intervals in SQLMesh's state (in PostgreSQL), by model name."""
    with pg_connect(server, database or os.environ[PG_DATABASE_ENV]) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT name FROM sqlmesh._intervals WHERE NOT is_removed")
        return {".".join(part.strip('"') for part in name.split(".")[-2:]) for (name,) in cursor.fetchall()}


def run(project: Path, instance, selection=None):
    resource = SQLMeshResource(project_dir=str(project))
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    return materialize([assets], instance=instance, resources={"sqlmesh": resource}, selection=selection, raise_on_error=False)


def test_the_server_listens_on_loopback_only(postgres_server):
    with pg_connect(postgres_server, "postgres") as connection, connection.cursor() as cursor:
        cursor.execute("SHOW listen_addresses")
        assert cursor.fetchone() == ("127.0.0.1",)


def test_all_due_then_nothing_due(pg_project, postgres_server, dagster_instance, assert_pipes_clean):
    first = run(pg_project, dagster_instance)
    assert_pipes_clean(dagster_instance, first.run_id)
    assert first.success, step_failure_text(first)
    assert materialized_models(first) == ALL_MODELS
    assert evaluated(postgres_server) == ALL_MODELS  # SQLMesh's own record, in PostgreSQL
    checks = check_evaluations(first)
    assert len(checks) == 3 and all(e.passed for e in checks.values())

    second = run(pg_project, dagster_instance)
    assert_pipes_clean(dagster_instance, second.run_id)
    assert second.success, step_failure_text(second)
    assert materialized_models(second) == set()
    assert check_evaluations(second) == {}


def test_a_sql_error_fails_its_model_and_skips_downstream(pg_project, postgres_server, dagster_instance, assert_pipes_clean):
    write_pg_items(postgres_server, os.environ[PG_DATABASE_ENV], [("1", "10"), ("2", "oops")])
    result = run(pg_project, dagster_instance)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert not result.success
    assert materialized_models(result) == {"pg.events"}  # the independent model committed
    assert evaluated(postgres_server) == {"pg.events"}
    failure = step_failure_text(result)
    assert "pg.items" in failure and 'invalid input syntax for type integer: "oops"' in failure, failure
    messages = user_messages(dagster_instance, result.run_id)
    assert any(m.startswith("pg.items_summary: not materialized — skipped") for m in messages), messages


def test_a_non_blocking_audit_failure_warns(pg_project, postgres_server, dagster_instance, assert_pipes_clean):
    write_pg_items(postgres_server, os.environ[PG_DATABASE_ENV], [("1", "10"), ("2", "-5")])
    warned = run(pg_project, dagster_instance)
    assert_pipes_clean(dagster_instance, warned.run_id)
    assert warned.success, step_failure_text(warned)
    checks = check_evaluations(warned)
    assert (checks[("pg.items", "accepted_range")].passed, checks[("pg.items", "accepted_range")].severity) == (
        False,
        AssetCheckSeverity.WARN,
    )
    assert checks[("pg.items", "not_null")].passed
    assert materialized_models(warned) == ALL_MODELS
    assert evaluated(postgres_server) == ALL_MODELS


def test_a_blocking_audit_failure_fails_its_model(pg_project, postgres_server, dagster_instance, assert_pipes_clean):
    write_pg_items(postgres_server, os.environ[PG_DATABASE_ENV], [("", "10"), ("2", "20")])
    result = run(pg_project, dagster_instance)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert not result.success
    checks = check_evaluations(result)
    assert (checks[("pg.items", "not_null")].passed, checks[("pg.items", "not_null")].severity) == (False, AssetCheckSeverity.ERROR)
    assert materialized_models(result) == {"pg.events"}
    assert evaluated(postgres_server) == {"pg.events"}  # the failed audit kept the interval out of state
    assert "not_null" in step_failure_text(result)


def test_a_subset_runs_exactly_its_models(pg_project, postgres_server, dagster_instance, assert_pipes_clean):
    result = run(pg_project, dagster_instance, AssetSelection.assets(pg_key("pg.events")))
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)
    assert materialized_models(result) == {"pg.events"}
    assert set(check_evaluations(result)) == {("pg.events", "not_null")}
    assert evaluated(postgres_server) == {"pg.events"}


def test_the_script_stops_what_it_started_and_stopping_twice_is_harmless():
    script = str(Path(__file__).resolve().parents[3] / "scripts" / "postgres.mjs")
    started = subprocess.run(["node", script, "start"], capture_output=True, text=True, check=True)
    server = json.loads(started.stdout)
    assert server["host"] == "127.0.0.1" and Path(server["dir"]).is_dir()
    with socket.create_connection(("127.0.0.1", server["port"]), timeout=5):
        pass
    for _ in range(2):
        stopped = subprocess.run(["node", script, "stop", "--dir", server["dir"]], capture_output=True, text=True, check=False)
        assert stopped.returncode == 0, stopped.stderr
    assert not Path(server["dir"]).exists()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server["port"]), timeout=2)
    bad = subprocess.run(["node", script, "stop"], capture_output=True, text=True, check=False)
    assert (bad.returncode, bad.stderr.strip()) == (2, 'postgres: stop needs --dir DIR (the "dir" that start printed)')


def test_termination_records_what_sqlmesh_committed(pg_slow_project, postgres_server, dagster_instance, assert_pipes_clean, monkeypatch):
    """The termination scenario of test_dagster_sqlmesh_termination.py on PostgreSQL: terminated
    while slow.gate waits, the run records exactly what SQLMesh committed to its Postgres state."""
    defs = slow_definitions(pg_slow_project, gateway="pg")
    result, seen, stop_s, messages = run_and_terminate(monkeypatch, dagster_instance, pg_slow_project, defs, ALL_SLOW, "slow.gate")
    assert seen["sqlmesh"], "no SQLMesh process was running while slow.gate waited"
    assert stop_s < 15, f"the run took {stop_s:.1f}s to stop after SIGINT"
    assert_pipes_clean(dagster_instance, result.run_id)
    assert dagster_instance.get_run_by_id(result.run_id).status == DagsterRunStatus.CANCELED
    assert evaluated(postgres_server, "db") == {"slow.a", "slow.b", "slow.c"}
    assert set(materialized(result)) == {key(m) for m in ("slow.a", "slow.b", "slow.c")}
    assert processes_mentioning(str(pg_slow_project)) == [], "processes left running after termination"
    assert "slow.gate: not materialized — not evaluated: interrupted by SIGINT: SQLMesh was stopped" in messages, messages


def test_dagster_instance_storage_on_the_same_server(pg_project, postgres_server, assert_pipes_clean):
    """A deployment's Dagster keeps runs and events in PostgreSQL too (dagster-postgres): the run,
    its materializations and check results land there, readable from another instance."""
    with pg_connect(postgres_server, "postgres") as connection, connection.cursor() as cursor:
        cursor.execute('DROP DATABASE IF EXISTS "dagster_storage" WITH (FORCE)')
        cursor.execute('CREATE DATABASE "dagster_storage"')
    # psycopg2 named: SQLAlchemy 2.1 takes psycopg 3 for a bare postgresql:// URL.
    url = f"postgresql+psycopg2://{postgres_server['user']}@{postgres_server['host']}:{postgres_server['port']}/dagster_storage"
    overrides = {"storage": {"postgres": {"postgres_url": url}}}
    with instance_for_test(overrides=overrides) as instance:
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        result = run(pg_project, instance)
        assert_pipes_clean(instance, result.run_id)
        assert result.success, step_failure_text(result)
    with instance_for_test(overrides=overrides) as other:
        (record,) = other.get_run_records()
        assert record.dagster_run.run_id == result.run_id
        assert {".".join(k.path[-2:]) for k in other.get_latest_materialization_events([pg_key(m) for m in ALL_MODELS])} == ALL_MODELS
    with pg_connect(postgres_server, "dagster_storage") as connection, connection.cursor() as cursor:
        kinds = ["ASSET_CHECK_EVALUATION", "ASSET_MATERIALIZATION"]
        query = "SELECT dagster_event_type, COUNT(*) FROM event_logs WHERE dagster_event_type = ANY(%s) GROUP BY 1 ORDER BY 1"
        cursor.execute(query, (kinds,))
        assert cursor.fetchall() == [("ASSET_CHECK_EVALUATION", 3), ("ASSET_MATERIALIZATION", 3)]
