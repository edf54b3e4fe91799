"""Timeline of the latest run in $DAGSTER_HOME, for scripts/bench-dagster.mjs: seconds from the
process start (argv[1], epoch seconds) to each milestone, as JSON on stdout. Reads Dagster's own
event log, except when SQLMesh finished: the executor's own clock says how long it ran (Dagster
records a log line when its reader gets to it, which lags when Dagster's writes are the
bottleneck)."""

import json
import re
import sys

from dagster import DagsterEventType, DagsterInstance

# Messages of the executor and of Dagster's Pipes client that mark a milestone.
OPENED = "[pipes] external process successfully opened dagster pipes."
SQLMESH_STARTED = "sqlmesh run in environment"
SQLMESH_FINISHED = re.compile(r"^SQLMesh run (?:success|failed|nothing to do) in ([0-9.]+) ?s")

process_start = float(sys.argv[1])
with DagsterInstance.get() as instance:
    (record,) = instance.get_run_records(limit=1)
    logs = instance.all_logs(record.dagster_run.run_id)


def first(predicate):
    return next((entry.timestamp for entry in logs if predicate(entry)), None)


def last(predicate):
    return next((entry.timestamp for entry in reversed(logs) if predicate(entry)), None)


def of_type(*event_types):
    return lambda entry: entry.dagster_event is not None and entry.dagster_event.event_type in event_types


def saying(text):
    return lambda entry: entry.dagster_event is None and (entry.user_message or "").startswith(text)


def sqlmesh_seconds():
    for entry in logs:
        match = SQLMESH_FINISHED.match(entry.user_message or "") if entry.dagster_event is None else None
        if match:
            return float(match.group(1))
    return None


opened = first(saying(OPENED))
ran = sqlmesh_seconds()
marks = {
    "run_created": record.create_timestamp.timestamp(),
    "run_start": first(of_type(DagsterEventType.RUN_START)),
    "step_start": first(of_type(DagsterEventType.STEP_START)),
    "opened": opened,
    "sqlmesh_start": first(saying(SQLMESH_STARTED)),
    # The executor's clock starts just before it opens Pipes.
    "sqlmesh_end": opened + ran if opened is not None and ran is not None else None,
    "last_result": last(of_type(DagsterEventType.ASSET_MATERIALIZATION, DagsterEventType.ASSET_CHECK_EVALUATION)),
    "run_end": last(of_type(DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE)),
}
json.dump(
    {
        "status": record.dagster_run.status.value,
        "materializations": sum(1 for e in logs if of_type(DagsterEventType.ASSET_MATERIALIZATION)(e)),
        "checks": sum(1 for e in logs if of_type(DagsterEventType.ASSET_CHECK_EVALUATION)(e)),
        "planned": sum(
            1 for e in logs if of_type(DagsterEventType.ASSET_MATERIALIZATION_PLANNED, DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED)(e)
        ),
        "events": len(logs),
        **{name: (t - process_start if t is not None else None) for name, t in marks.items()},
    },
    sys.stdout,
)
