"""Dagster time-window partitions for INCREMENTAL_BY_TIME_RANGE models (``time_partitions=True``).

Each such model gets the partitions of its SQLMesh interval unit (one partition per interval,
UTC, like SQLMesh's intervals), starting at the earliest start of the models of that unit. A
partition run becomes ``sqlmesh run --start/--end`` over the partitions' window (a single-run
backfill policy makes a backfill one run), and a materialization is reported for each partition
SQLMesh really processed, read from the intervals it evaluated — never for one it skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone

from dagster import (
    AssetMaterialization,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    TimeWindow,
    TimeWindowPartitionsDefinition,
)

from sqlmesh_pipes_contracts import Manifest, ManifestModel

INCREMENTAL_BY_TIME_KIND = "INCREMENTAL_BY_TIME_RANGE"

# SQLMesh's interval units: the cron whose ticks bound them (UTC) and a partition key format.
_UNITS: Mapping[str, tuple[str, str]] = {
    "year": ("0 0 1 1 *", "%Y-%m-%d"),
    "month": ("0 0 1 * *", "%Y-%m-%d"),
    "day": ("0 0 * * *", "%Y-%m-%d"),
    "hour": ("0 * * * *", "%Y-%m-%d-%H:%M"),
    "half_hour": ("*/30 * * * *", "%Y-%m-%d-%H:%M"),
    "quarter_hour": ("*/15 * * * *", "%Y-%m-%d-%H:%M"),
    "five_minute": ("*/5 * * * *", "%Y-%m-%d-%H:%M"),
}


def unit_partitions_def(unit: str, start: datetime) -> TimeWindowPartitionsDefinition:
    """The partitions of one SQLMesh interval unit from ``start`` (UTC)."""
    cron, fmt = _UNITS[unit]
    return TimeWindowPartitionsDefinition(start=start, cron_schedule=cron, fmt=fmt, timezone="UTC")


UNITS: tuple[str, ...] = tuple(_UNITS)
"""SQLMesh's interval units, coarsest first: what ``time_partitions`` may name."""


def time_partitions(manifest: Manifest, unit: str | None = None) -> dict[str, TimeWindowPartitionsDefinition]:
    """Model name → partitions definition, for every incremental-by-time model with a known
    interval unit (``unit`` only, when given) and start; models of one unit share one definition."""
    eligible = [m for m in manifest.models if _partitionable(m) and unit in (None, m.interval_unit)]
    starts: dict[str, datetime] = {}
    for model in eligible:
        assert model.interval_unit is not None and model.start is not None
        start = _parse(model.start)
        starts[model.interval_unit] = min(start, starts.get(model.interval_unit, start))
    defs = {unit: unit_partitions_def(unit, start) for unit, start in starts.items()}
    return {model.name: defs[model.interval_unit] for model in eligible if model.interval_unit}


def units_in(defs: Mapping[str, TimeWindowPartitionsDefinition], manifest: Manifest) -> dict[str, list[str]]:
    """Interval unit → the partitioned models of that unit (for messages)."""
    units: dict[str, list[str]] = {}
    for model in manifest.models:
        if model.name in defs and model.interval_unit:
            units.setdefault(model.interval_unit, []).append(model.name)
    return units


def partition_keys(partitions_def: PartitionsDefinition, intervals: Iterable[Sequence[str]]) -> list[str]:
    """The partition keys inside SQLMesh's evaluated [start, end) intervals (ISO-8601), in order."""
    if not isinstance(partitions_def, TimeWindowPartitionsDefinition):
        return []
    keys: dict[str, None] = {}
    for start, end in intervals:
        window = TimeWindow(_parse(start), _parse(end))
        for key in partitions_def.get_partition_keys_in_time_window(window):
            keys[key] = None
    return list(keys)


INTERVALS_METADATA_KEY = "sqlmesh/intervals"
PARTITION_INTERVAL_METADATA_KEY = "sqlmesh/partition_interval"
"""The partition's own [start, end) on each of its materializations (the run's are in sqlmesh/intervals)."""


def partition_materializations(
    result: MaterializeResult, partitions_def: PartitionsDefinition
) -> Iterator[AssetMaterialization]:
    """One materialization per partition inside the intervals SQLMesh evaluated for the model."""
    assert result.asset_key is not None
    metadata = dict(result.metadata or {})
    intervals = metadata.get(INTERVALS_METADATA_KEY)
    raw = intervals.value if isinstance(intervals, MetadataValue) else intervals
    for key in partition_keys(partitions_def, raw or []):
        window = partitions_def.time_window_for_partition_key(key)  # type: ignore[attr-defined]
        own = {PARTITION_INTERVAL_METADATA_KEY: MetadataValue.json([_iso(window.start), _iso(window.end)])}
        yield AssetMaterialization(asset_key=result.asset_key, partition=key, metadata={**metadata, **own})


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _partitionable(model: ManifestModel) -> bool:
    return (
        model.kind == INCREMENTAL_BY_TIME_KIND
        and model.interval_unit in _UNITS
        and model.start is not None
        and not model.allow_partials
    )


def _parse(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
