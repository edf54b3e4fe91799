"""Two runs of one project at once (test/fixtures/e2e-projects/pool), as a deployment launches
them: two `dagster asset materialize` processes on one Dagster home whose pools are limited to one.
Every run of the project is one step in the project's pool, so the second waits for the first
instead of failing on DuckDB's lock or racing on SQLMesh's state. Deterministic: the first run
holds the pool inside pool.hold until the test has seen the second one wait."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import duckdb
from dagster import DagsterEventType, DagsterInstance
from dagster._core.instance.ref import InstanceRef
from dagster_e2e_helpers import key

from sqlmesh_pipes import SQLMeshResource

ROOT = Path(__file__).resolve().parents[3]
PYTHON = ROOT / ".venv" / "bin" / "python"
BLOCKED = "blocked by limit for pool"


def wait_for(condition, what: str, processes: list[subprocess.Popen], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        for process in processes:
            assert process.poll() is None, f"a run ended before {what}:\n{process.stdout.read() if process.stdout else ''}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def engine_messages(instance: DagsterInstance, run_id: str) -> list[str]:
    return [
        record.dagster_event.message or ""
        for record in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT)
        if record.dagster_event is not None
    ]


def test_a_second_run_waits_for_the_projects_pool(pool_project: Path, tmp_path: Path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("concurrency:\n  pools:\n    default_limit: 1\n", encoding="utf-8")
    defs = tmp_path / "defs.py"
    defs.write_text(
        f"from sqlmesh_pipes import sqlmesh_definitions_factory\ndefs = sqlmesh_definitions_factory(project_dir={str(pool_project)!r})\n",
        encoding="utf-8",
    )
    env = {**os.environ, "DAGSTER_HOME": str(home), "SQLMESH__DISABLE_ANONYMIZED_ANALYTICS": "1"}
    command = [str(PYTHON), "-m", "dagster", "asset", "materialize", "-f", str(defs), "--select", "*"]

    def launch() -> subprocess.Popen:
        return subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    first = launch()
    runs: list[subprocess.Popen] = [first]
    second = None
    try:
        wait_for((pool_project / "markers" / "pool.hold.started").exists, "the first run held the pool", runs)
        second = launch()
        runs.append(second)
        instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
        try:

            def second_waits() -> bool:
                records = instance.get_run_records()
                return len(records) == 2 and any(BLOCKED in m for m in engine_messages(instance, records[0].dagster_run.run_id))

            wait_for(second_waits, "the second run to wait for the pool", runs)
            (pool_project / "release").write_text("go", encoding="utf-8")
            outputs = [process.communicate(timeout=300)[0] for process in runs]
            assert [process.returncode for process in runs] == [0, 0], "\n---\n".join(outputs)

            newest, oldest = (record.dagster_run.run_id for record in instance.get_run_records())
            materialized = {
                run_id: {
                    record.asset_key
                    for record in instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
                }
                for run_id in (oldest, newest)
            }
        finally:
            instance.dispose()
    finally:
        for process in runs:
            if process.poll() is None:
                process.kill()
    # The first run evaluated everything; the second, once it had the pool, found nothing due.
    assert materialized[oldest] == {key("pool.daily"), key("pool.hold")}
    assert materialized[newest] == set()
    with duckdb.connect(str(pool_project / "db.duckdb"), read_only=True) as con:
        assert con.execute("SELECT ds::VARCHAR, COUNT(*) FROM pool.daily GROUP BY ds ORDER BY ds").fetchall() == [
            ("2024-01-01", 1),
            ("2024-01-02", 1),
            ("2024-01-03", 1),
        ]
    assert SQLMeshResource(project_dir=str(pool_project)).pool == "sqlmesh:pool"
