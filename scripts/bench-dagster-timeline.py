"""Timeline of the latest run in $DAGSTER_HOME, for scripts/bench-dagster.mjs: seconds from the
run's start to each milestone, as JSON on stdout. Reads only Dagster's own event log."""

import json
import sys

from dagster import DagsterEventType, DagsterInstance

# Messages of the executor and of Dagster's Pipes client that mark a milestone.
OPENED = "[pipes] external process successfully opened dagster pipes."
SQLMESH_STARTED = "sqlmesh run in environment"
SQLMESH_FINISHED = ("SQLMesh run success in", "SQLMesh run failed in", "SQLMesh run nothing to do")

with DagsterInstance.get() as instance:
    (record,) = instance.get_run_records(limit=1)
    logs = instance.all_logs(record.dagster_run.run_id)


def first(predicate):
    return next((entry.timestamp for entry in logs if predicate(entry)), None)


def last(predicate):
    return next((entry.timestamp for entry in reversed(logs) if predicate(entry)), None)


def of_type(event_type):
    return lambda entry: entry.dagster_event is not None and entry.dagster_event.event_type == event_type


def saying(*texts):
    return lambda entry: entry.dagster_event is None and any((entry.user_message or "").startswith(t) for t in texts)


start = first(of_type(DagsterEventType.RUN_START))
marks = {
    "step_start": first(of_type(DagsterEventType.STEP_START)),
    "opened": first(saying(OPENED)),
    "sqlmesh_start": first(saying(SQLMESH_STARTED)),
    "sqlmesh_end": first(saying(*SQLMESH_FINISHED)),
    "first_materialization": first(of_type(DagsterEventType.ASSET_MATERIALIZATION)),
    "last_materialization": last(of_type(DagsterEventType.ASSET_MATERIALIZATION)),
    "step_end": last(of_type(DagsterEventType.STEP_SUCCESS)) or last(of_type(DagsterEventType.STEP_FAILURE)),
    "run_end": last(of_type(DagsterEventType.RUN_SUCCESS)) or last(of_type(DagsterEventType.RUN_FAILURE)),
}
json.dump(
    {
        "status": record.dagster_run.status.value,
        "materializations": sum(1 for e in logs if of_type(DagsterEventType.ASSET_MATERIALIZATION)(e)),
        "checks": sum(1 for e in logs if of_type(DagsterEventType.ASSET_CHECK_EVALUATION)(e)),
        "run_created_to_start": start - record.create_timestamp.timestamp(),
        **{name: (t - start if t is not None else None) for name, t in marks.items()},
    },
    sys.stdout,
)
