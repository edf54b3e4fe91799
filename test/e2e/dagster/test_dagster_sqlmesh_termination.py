"""Run termination through Dagster with a real, slow SQLMesh model (test/fixtures/e2e-projects/slow):
slow.spin, a DuckDB cross join of about a minute that DuckDB interrupts on SIGINT, and slow.nap,
a 30 s sleep_ms that ignores SIGINT (SQLMesh cannot stop: the executor must kill it).

The run is terminated as Dagster does for an in-process run: marked CANCELING, then SIGINT to
the Dagster process (as test/e2e/pipes does); PipesSubprocessClient sends SIGINT to the Node
executor, which must stop SQLMesh, report, and deliver `closed`; the run ends CANCELED."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from dagster import DagsterRunStatus
from dagster_e2e_helpers import key, materialized, processes_mentioning, shop_definitions, user_messages

STARTUP_TIMEOUT_S = 30
SETTLE_S = 1.0  # into the DuckDB query (which alone takes about a minute)


@pytest.mark.parametrize("model", ["slow.spin", "slow.nap"])
def test_termination_stops_sqlmesh_and_closes(model, slow_project, dagster_instance, assert_pipes_clean, closed_exception):
    project = str(slow_project)
    defs = shop_definitions(slow_project)
    seen: dict[str, object] = {}
    finished = threading.Event()  # the run ended on its own: never signal the test process then

    def interrupt_when_sqlmesh_evaluates() -> None:
        # Wait for the executor's live log line "SQLMesh will evaluate ..." (sent when SQLMesh
        # starts evaluating), so the SIGINT lands inside the DuckDB query, not in start-up.
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline and "run" not in seen and not finished.is_set():
            runs = dagster_instance.get_runs(limit=1)
            if runs and any(m.startswith("SQLMesh will evaluate") for m in user_messages(dagster_instance, runs[0].run_id)):
                seen["run"] = runs[0]
            time.sleep(0.05)
        seen["sqlmesh"] = [p for p in processes_mentioning(project) if "sqlmesh_pipes_console" in p[1]]
        if "run" not in seen or finished.wait(SETTLE_S):
            return
        # What Dagster's "Terminate" does for an in-process run: mark the run CANCELING, then
        # interrupt the process executing the step.
        dagster_instance.report_run_canceling(seen["run"])
        seen["interrupted_at"] = time.monotonic()
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=interrupt_when_sqlmesh_evaluates, daemon=True)
    thread.start()
    started = time.monotonic()
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=dagster_instance, asset_selection=[key(model)], raise_on_error=False)
    ended = time.monotonic()
    finished.set()
    thread.join(timeout=5)

    assert "run" in seen, "SQLMesh never started evaluating:\n" + "\n".join(user_messages(dagster_instance, result.run_id))
    assert "interrupted_at" in seen, "the run ended before it was terminated"
    assert seen["sqlmesh"], "no SQLMesh process was running while it evaluated"
    stop_s = ended - seen["interrupted_at"]
    # slow.spin stops at once; slow.nap needs the executor's grace period (8 s) and a SIGKILL,
    # well within PipesSubprocessClient's termination_timeout_seconds (20 s).
    assert stop_s < (5 if model == "slow.spin" else 15), f"the run took {stop_s:.1f}s to stop after SIGINT (total {ended - started:.1f}s)"
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
    if model == "slow.spin":
        # SQLMesh stopped on SIGINT: DuckDB interrupted the query.
        assert any(m.startswith("slow.spin failed:") and "interrupted" in m for m in messages), messages
    else:
        # sleep_ms ignores interrupts: the executor killed SQLMesh after its grace period.
        assert any("did not stop within" in m and "SIGKILL" in m for m in messages), messages
        assert any(m.startswith("slow.nap: not materialized") for m in messages), messages
    error = closed_exception(dagster_instance, result.run_id)
    assert (error.cls_name, error.message) == ("PipesInterruptedError", "interrupted by SIGINT")
