"""Row counts on request (`--fetch-row-counts`): one COUNT(*) per model, after its last batch.

Like dagster-dbt's `fetch_row_counts()`, off by default: it is one query per materialized model
on the run's own connection (a full scan on engines that do not keep counts, and a VIEW runs its
query). Counted on the snapshot's physical table, the one the batches wrote.
"""

from __future__ import annotations

import typing as t

from sqlglot import exp


def count_rows(adapter: t.Any, snapshot: t.Any) -> int | None:
    """COUNT(*) of the snapshot's physical table; None when the query fails (the run goes on)."""
    try:
        query = exp.select(exp.Count(this=exp.Star())).from_(exp.to_table(snapshot.table_name()))
        row = adapter.fetchone(query)
    except Exception:  # noqa: BLE001 - a count is extra information, never a reason to fail a run
        return None
    return int(row[0]) if row and row[0] is not None else None
