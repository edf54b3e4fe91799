"""SQLMesh's own interval state (the oracle of the truth property test) and interval-set arithmetic.

Intervals are half-open `[start_ms, end_ms)` epoch-millisecond pairs, as SQLMesh stores them.
Sets are kept merged (sorted, disjoint, contiguous ones joined): SQLMesh stores one row per batch
but its janitor may compact rows, so only the covered time — not the row boundaries — is
comparable between two reads of the state, or with what Dagster recorded.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb

Interval = tuple[int, int]
IntervalSet = tuple[Interval, ...]
DATABASE = "db.duckdb"
LOCK_TIMEOUT_S = 30.0


def merge(intervals: list[Interval] | IntervalSet) -> IntervalSet:
    """Sorted, disjoint intervals covering exactly the same time (touching ones joined)."""
    merged: list[list[int]] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


def subtract(a: IntervalSet, b: IntervalSet) -> IntervalSet:
    """Time covered by `a` and not by `b`."""
    out: list[Interval] = []
    for start, end in a:
        cursor = start
        for b_start, b_end in b:
            if b_end <= cursor or b_start >= end:
                continue
            if b_start > cursor:
                out.append((cursor, b_start))
            cursor = max(cursor, b_end)
        if cursor < end:
            out.append((cursor, end))
    return merge(out)


def covers(a: IntervalSet, cell: Interval) -> bool:
    """True when `a` covers all of `cell`."""
    return not subtract((cell,), a)


def intersects(a: IntervalSet, cell: Interval) -> bool:
    """True when `a` covers some of `cell`."""
    return subtract((cell,), a) != (cell,)


def iso_to_ms(text: str) -> int:
    """`2024-01-02T00:00:00Z` (or with an offset) as epoch milliseconds."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def ms_to_iso(ms: int) -> str:
    """Epoch milliseconds as `2024-01-02T00:00:00Z` (for messages)."""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def show(intervals: IntervalSet) -> str:
    """Readable form of an interval set."""
    return "[" + ", ".join(f"[{ms_to_iso(s)}, {ms_to_iso(e)})" for s, e in intervals) + "]" if intervals else "[]"


def node_name(stored: str) -> str:
    """`"db"."tp_a"."m1"` -> `tp_a.m1`; a standalone audit's name is stored bare."""
    parts = [p.strip('"') for p in stored.split(".")]
    if len(parts) == 3:
        parts = parts[1:]
    return ".".join(parts)


def read_state(project: Path) -> dict[str, IntervalSet]:
    """Prod intervals per node (model or standalone audit) from SQLMesh's `sqlmesh._intervals`.

    Rows are replayed in creation order (an `is_removed` row takes time away, as SQLMesh does
    for restatements); dev rows are ignored. Waits for the database lock: after a terminated
    run, the killed SQLMesh process may still be on its way out.
    """
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    while True:
        try:
            with duckdb.connect(str(project / DATABASE), read_only=True) as con:
                rows = con.execute(
                    "SELECT name, start_ts, end_ts, is_removed FROM sqlmesh._intervals WHERE NOT is_dev ORDER BY created_ts, id"
                ).fetchall()
            break
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)  # polling a lock held by another process; the deadline bounds it
    state: dict[str, IntervalSet] = {}
    for name, start, end, removed in rows:
        node = node_name(name)
        current = state.get(node, ())
        cell: IntervalSet = ((int(start), int(end)),)
        state[node] = subtract(current, cell) if removed else merge([*current, *cell])
    return state


def new_intervals(before: dict[str, IntervalSet], after: dict[str, IntervalSet]) -> dict[str, IntervalSet]:
    """Per node, the time SQLMesh's state gained between two reads (only nodes that gained some)."""
    gained = {node: subtract(intervals, before.get(node, ())) for node, intervals in after.items()}
    return {node: intervals for node, intervals in gained.items() if intervals}
