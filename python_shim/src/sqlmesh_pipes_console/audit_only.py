"""Audit models in place: SQLMesh's audit-only evaluation over the intervals the environment holds.

A Dagster selection of asset checks without their assets asks for exactly this: run the audits
against the current tables, change nothing. SQLMesh's own ``Scheduler.audit`` (what a plan runs
for an audit-only change) does it batch by batch, with the same console callbacks, blocking and
non-blocking semantics as a run; it removes the intervals from its in-memory snapshots only, so
nothing is written to state and no model is evaluated.
"""

from __future__ import annotations

import typing as t
from datetime import datetime, timezone

from sqlmesh_pipes_contracts import LogLine


def audit_models(
    context: t.Any,
    environment: str,
    fqns: t.Sequence[str],
    *,
    execution_time: str | None,
    channel: t.Any,
) -> t.Any | None:
    """Audit the models ``fqns`` of ``environment`` over each one's span of intervals.

    Returns SQLMesh's completion status, or None when none of them has an interval to audit
    (each is named in the log).
    """
    scheduler = context.scheduler(environment)
    wanted = set(fqns)
    snapshots = {s.name: s for s in scheduler.snapshots.values() if s.name in wanted}
    for fqn in sorted(wanted - set(snapshots)):
        _log(channel, "WARNING", f"{fqn}: not in environment {environment!r} — its audits were not run")
    starts: dict[str, datetime] = {}
    ends: dict[str, datetime] = {}
    for fqn, snapshot in sorted(snapshots.items()):
        # Every interval the environment holds for the model (SQLMesh keeps them merged).
        intervals = snapshot.intervals
        if not intervals:
            _log(channel, "INFO", f"{fqn}: no interval in environment {environment!r} — nothing to audit")
            continue
        starts[fqn] = _utc(intervals[0][0])
        ends[fqn] = _utc(intervals[-1][1])
    if not starts:
        return None
    return scheduler.audit(
        environment,
        start=min(starts.values()),
        end=max(ends.values()),
        execution_time=execution_time,
        start_override_per_model=starts,
        end_override_per_model=ends,
        # The intervals are the environment's own: audit all of them, whatever the cron says now.
        ignore_cron=True,
        end_bounded=True,
        selected_snapshots=set(starts),
    )


def _utc(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)


def _log(channel: t.Any, level: t.Literal["INFO", "WARNING"], message: str) -> None:
    channel.write(LogLine(level=level, message=message, source="console").to_json())
