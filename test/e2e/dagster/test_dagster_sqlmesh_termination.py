"""Run termination through Dagster with a real, slow SQLMesh model (test/fixtures/e2e-projects/slow:
a DuckDB cross join of about a minute). The step is interrupted the way in-process execution
is (SIGINT to the Dagster process, as test/e2e/pipes does); PipesSubprocessClient then sends
SIGINT to the Node executor, which must stop SQLMesh, report, and deliver `closed`."""

from __future__ import annotations

import os
import signal
import threading
import time

from dagster import DagsterRunStatus
from dagster_e2e_helpers import materialized, processes_mentioning, shop_definitions, user_messages

STARTUP_TIMEOUT_S = 30
SETTLE_S = 3.0  # SQLMesh is well into the query by then (start-up ~1.5 s; the query alone takes ~60 s)


def test_termination_stops_sqlmesh_and_closes(slow_project, dagster_instance, assert_pipes_clean):
    project = str(slow_project)
    defs = shop_definitions(slow_project)
    seen: dict[str, object] = {}

    def interrupt_when_sqlmesh_runs() -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            procs = [p for p in processes_mentioning(project) if "sqlmesh_pipes_console" in p[1]]
            if procs:
                seen["sqlmesh"] = procs
                break
            time.sleep(0.05)
        time.sleep(SETTLE_S)
        # What Dagster's "Terminate" does for an in-process run: mark the run CANCELING, then
        # interrupt the process executing the step.
        (run,) = dagster_instance.get_runs(limit=1)
        dagster_instance.report_run_canceling(run)
        seen["interrupted_at"] = time.monotonic()
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=interrupt_when_sqlmesh_runs, daemon=True)
    thread.start()
    started = time.monotonic()
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=dagster_instance, raise_on_error=False)
    ended = time.monotonic()
    thread.join(timeout=5)

    assert "sqlmesh" in seen, "the SQLMesh process never started"
    stop_s = ended - seen["interrupted_at"]
    assert stop_s < 15, f"the run took {stop_s:.1f}s to stop after SIGINT (total {ended - started:.1f}s)"
    assert_pipes_clean(dagster_instance, result.run_id)
    assert not result.success
    assert dagster_instance.get_run_by_id(result.run_id).status == DagsterRunStatus.CANCELED
    assert materialized(result) == {}

    leftovers = processes_mentioning(project)
    assert leftovers == [], f"processes left running after termination: {leftovers}"

    messages = user_messages(dagster_instance, result.run_id)
    assert "[pipes] execution interrupted, sending SIGINT to subprocess." in messages, messages
    # The executor stopped SQLMesh (DuckDB's query was interrupted) and said so before `closed`.
    assert "SQLMesh run failed: interrupted by SIGINT: SQLMesh was stopped" in messages, messages
    assert any(m.startswith("slow.spin failed:") and "interrupted" in m for m in messages), messages
    error = closed_exception(dagster_instance, result.run_id)
    assert (error.cls_name, error.message) == ("PipesInterruptedError", "PipesInterruptedError: interrupted by SIGINT")


def closed_exception(instance, run_id):
    """The error carried by `closed` (Dagster's "closed with exception" engine event)."""
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is not None and event.message == "[pipes] external process pipes closed with exception":
            return event.engine_event_data.error
    raise AssertionError("`closed` carried no exception")
