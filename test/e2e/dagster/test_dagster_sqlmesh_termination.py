"""Run termination through Dagster on real SQLMesh models that behave one way for certain
(test/fixtures/e2e-projects/slow): slow.a -> b -> c -> gate -> d -> e, where slow.gate waits
and stops on SIGINT, and slow.stubborn (after slow.a) waits and ignores SIGINT. Each writes a
marker file when it starts, so the run is terminated exactly while it waits — never during
start-up, never after it finished, however busy the machine is.

The run is terminated as Dagster does for an in-process run: marked CANCELING, then SIGINT to
the Dagster process. SQLMeshResource stops the executor (SIGINT), which stops SQLMesh (SIGINT,
then SIGKILL after its grace period), reports what SQLMesh finished and closes; the resource
records it, then the run ends CANCELED. What Dagster records must be exactly what SQLMesh
committed: the intervals in SQLMesh's own state."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from dagster import AssetCheckKey, AssetCheckResult, DagsterEventType, DagsterRunStatus, Definitions
from dagster_e2e_helpers import evaluated_models, key, materialized, processes_mentioning, user_messages

from sqlmesh_pipes import SQLMeshResource, sqlmesh_assets_factory
from sqlmesh_pipes.invocation import POLL_SECONDS, wait_for_stopping_runs


def slow_definitions(project: Path, **resource: object) -> Definitions:
    sqlmesh = SQLMeshResource(project_dir=str(project), **resource)
    return Definitions(assets=[sqlmesh_assets_factory(sqlmesh_resource=sqlmesh)], resources={"sqlmesh": sqlmesh})


def terminate_like_dagster(instance) -> None:
    """What Dagster's "Terminate" does for an in-process run: mark the run CANCELING, then
    interrupt the process executing the step."""
    instance.report_run_canceling(instance.get_runs(limit=1)[0])
    os.kill(os.getpid(), signal.SIGINT)


# What SQLMesh finishes before each waiting model starts: all of it is in the event log when the
# run is terminated.
FINISHED_BEFORE = {"slow.gate": ["slow.a", "slow.b", "slow.c"], "slow.stubborn": ["slow.a"]}


def terminate_when_started(monkeypatch, instance, project: Path, model: str, seen: dict) -> None:
    """Terminate the run from inside the step's own wait for the executor, once `model` has written
    its start marker and everything SQLMesh finished before it is in the event log.

    The step waits in `Popen.wait(timeout=POLL_SECONDS)` between the results it yields; Dagster has
    recorded every yielded result by then and is idle. Signalling from there (not from a thread at
    a moment of its own) makes the interruption land in the step, never inside Dagster's handling
    of a result (the tests further down cover that on purpose)."""
    marker = project / "markers" / f"{model}.started"
    upstream = [key(m) for m in FINISHED_BEFORE[model]]
    original = subprocess.Popen.wait

    def wait(self, timeout=None):
        in_step = timeout == POLL_SECONDS and threading.current_thread() is threading.main_thread()
        if in_step and "interrupted_at" not in seen and marker.exists():
            recorded = instance.get_latest_materialization_events(upstream)
            # In the event log while SQLMesh still runs (the model waits): results are live.
            seen["live"] = {k for k, event in recorded.items() if event is not None}
            if seen["live"] == set(upstream):
                seen["sqlmesh"] = [p for p in processes_mentioning(str(project)) if "sqlmesh_pipes_console" in p[1]]
                seen["interrupted_at"] = time.monotonic()
                terminate_like_dagster(instance)
        return original(self, timeout)

    monkeypatch.setattr(subprocess.Popen, "wait", wait)


def run_and_terminate(monkeypatch, instance, project: Path, defs: Definitions, models: list[str], waiting: str):
    seen: dict = {}
    terminate_when_started(monkeypatch, instance, project, waiting, seen)
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=instance, asset_selection=[key(m) for m in models], raise_on_error=False)
    ended = time.monotonic()
    monkeypatch.undo()
    messages = user_messages(instance, result.run_id)
    assert "interrupted_at" in seen, "the run ended before it was terminated:\n" + "\n".join(messages)
    return result, seen, ended - seen["interrupted_at"], messages


ALL_SLOW = ["slow.a", "slow.b", "slow.c", "slow.gate", "slow.d", "slow.e"]


def run_terminated_inside_dagster(instance, project: Path, fired: list) -> tuple:
    """Run every slow model once the test has patched Dagster to terminate the run from inside
    its own handling of a result; wait for the recovery. Returns the result, what SQLMesh committed
    and the run's messages, after checking what Dagster recorded matches SQLMesh's state."""
    job = slow_definitions(project).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=instance, asset_selection=[key(m) for m in ALL_SLOW], raise_on_error=False)
    assert fired, "the run was never terminated"
    assert instance.get_run_by_id(result.run_id).status == DagsterRunStatus.CANCELED
    # The watchdog stops the executor and records what it reported, just after the run ended.
    assert wait_for_stopping_runs(timeout=30)
    assert processes_mentioning(str(project)) == [], "processes left running after termination"
    committed = evaluated_models(project)
    assert "slow.gate" not in committed
    recorded = instance.get_latest_materialization_events([key(m) for m in ALL_SLOW])
    assert {k for k, event in recorded.items() if event is not None} == {key(m) for m in committed}
    return result, committed, user_messages(instance, result.run_id)


def test_termination_records_what_sqlmesh_committed(slow_project, dagster_instance, assert_pipes_clean, closed_exception, monkeypatch):
    defs = slow_definitions(slow_project)
    result, seen, stop_s, messages = run_and_terminate(monkeypatch, dagster_instance, slow_project, defs, ALL_SLOW, "slow.gate")

    assert seen["sqlmesh"], "no SQLMesh process was running while slow.gate waited"
    assert seen["live"] == {key("slow.a"), key("slow.b"), key("slow.c")}, "materializations only arrived after SQLMesh ended"
    # slow.gate stops at once on SIGINT: far below the termination timeout (20 s).
    assert stop_s < 15, f"the run took {stop_s:.1f}s to stop after SIGINT"
    assert_pipes_clean(dagster_instance, result.run_id)
    assert dagster_instance.get_run_by_id(result.run_id).status == DagsterRunStatus.CANCELED
    # Exactly what SQLMesh committed, by SQLMesh's own state.
    assert evaluated_models(slow_project) == {"slow.a", "slow.b", "slow.c"}
    assert set(materialized(result)) == {key(m) for m in ("slow.a", "slow.b", "slow.c")}
    assert processes_mentioning(str(slow_project)) == [], "processes left running after termination"

    assert "sqlmesh-pipes: stopping the executor (SIGINT): it stops SQLMesh and reports what finished." in messages
    assert "slow.gate: not materialized — not evaluated: interrupted by SIGINT: SQLMesh was stopped" in messages, messages
    assert not any("did not stop within" in m for m in messages), messages
    error = closed_exception(dagster_instance, result.run_id)
    assert (error.cls_name, error.message) == ("PipesInterruptedError", "interrupted by SIGINT")


def test_termination_kills_sqlmesh_that_ignores_sigint(slow_project, dagster_instance, assert_pipes_clean, closed_exception, monkeypatch):
    # 5 s of termination timeout: SQLMesh gets 40% (2 s) to stop before the executor kills it.
    defs = slow_definitions(slow_project, termination_timeout_seconds=5)
    result, seen, stop_s, messages = run_and_terminate(
        monkeypatch, dagster_instance, slow_project, defs, ["slow.a", "slow.stubborn"], "slow.stubborn"
    )

    assert seen["sqlmesh"], "no SQLMesh process was running while slow.stubborn waited"
    assert 2 <= stop_s < 5, f"the run took {stop_s:.1f}s to stop after SIGINT (grace 2 s, timeout 5 s)"
    assert_pipes_clean(dagster_instance, result.run_id)
    assert dagster_instance.get_run_by_id(result.run_id).status == DagsterRunStatus.CANCELED
    assert evaluated_models(slow_project) == {"slow.a"}
    assert set(materialized(result)) == {key("slow.a")}
    assert processes_mentioning(str(slow_project)) == [], "processes left running after termination"

    assert "SQLMesh did not stop within 2s of SIGINT: killing it (SIGKILL)" in messages, messages
    assert "slow.stubborn: not materialized — not evaluated: interrupted by SIGINT: SQLMesh was stopped" in messages, messages
    # The kill is said once, not repeated by every layer.
    assert sum("SIGKILL" in m for m in messages) == 1, [m for m in messages if "SIGKILL" in m]
    error = closed_exception(dagster_instance, result.run_id)
    assert (error.cls_name, error.message) == ("PipesInterruptedError", "interrupted by SIGINT")


def test_termination_while_dagster_records_a_result_still_records_what_sqlmesh_committed(
    slow_project, dagster_instance, assert_pipes_clean, monkeypatch
):
    # Terminate from inside Dagster's own storing of slow.a's materialization: the SIGINT lands
    # outside our code, and Dagster raises it before our generator runs again (it never resumes).
    fired: list[float] = []
    store = dagster_instance.handle_new_event

    def store_then_terminate(event, *args, **kwargs):
        store(event, *args, **kwargs)
        dagster_event = event.dagster_event
        if not fired and dagster_event is not None and dagster_event.is_step_materialization and dagster_event.asset_key == key("slow.a"):
            fired.append(time.monotonic())
            terminate_like_dagster(dagster_instance)

    monkeypatch.setattr(dagster_instance, "handle_new_event", store_then_terminate)
    result, committed, messages = run_terminated_inside_dagster(dagster_instance, slow_project, fired)
    assert "slow.a" in committed
    assert "sqlmesh-pipes: stopping the executor (SIGINT): it stops SQLMesh and reports what finished." in messages
    assert_pipes_clean(dagster_instance, result.run_id)


def test_termination_while_dagster_handles_a_check_result_still_records_it(slow_project, dagster_instance, assert_pipes_clean, monkeypatch):
    # Dagster turns a check result into an output, type-checks it (raising a pending interrupt
    # there), and only then records the evaluation: a SIGINT arriving in between drops a result
    # our generator already handed over. The recovery must find it missing and record it.
    fired: list[str] = []
    to_evaluation = AssetCheckResult.to_asset_check_evaluation

    def terminate_then_convert(self, step_context):
        if not fired and self.check_name == "not_null":
            fired.append(self.check_name)
            terminate_like_dagster(dagster_instance)
        return to_evaluation(self, step_context)

    monkeypatch.setattr(AssetCheckResult, "to_asset_check_evaluation", terminate_then_convert)
    result, committed, messages = run_terminated_inside_dagster(dagster_instance, slow_project, fired)
    assert "slow.b" in committed
    evaluations = [
        record.dagster_event.event_specific_data.asset_check_key
        for record in dagster_instance.all_logs(result.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    ]
    assert evaluations == [AssetCheckKey(key("slow.b"), "not_null")], evaluations
    assert any("1 handed over but dropped by Dagster" in m for m in messages), messages
    assert_pipes_clean(dagster_instance, result.run_id)
