from __future__ import annotations

import pytest
from dagster import AssetKey, BackfillPolicy, TimeWindowPartitionsDefinition
from shim_helpers import manifest, model

from sqlmesh_pipes import SQLMeshPipesDefinitionError, sqlmesh_assets_factory, sqlmesh_definitions_factory
from sqlmesh_pipes.time_partitions import partition_keys, time_partitions, units_in
from sqlmesh_pipes_contracts import read_manifest

INC = "INCREMENTAL_BY_TIME_RANGE"


def _project():
    return manifest(
        [
            model("shop.daily_a", kind=INC, start="2024-01-03T00:00:00Z"),
            model("shop.daily_b", kind=INC, start="2024-01-01T00:00:00Z"),
            model(
                "shop.hourly", kind=INC, cron="@hourly", interval_unit="hour", start="2024-01-02T00:00:00Z"
            ),
            model("shop.full", start="2024-01-01T00:00:00Z"),
            model("shop.no_start", kind=INC),
            model("shop.partial", kind=INC, start="2024-01-01T00:00:00Z", allow_partials=True),
        ]
    )


def test_one_definition_per_unit_from_the_earliest_start():
    defs = time_partitions(read_manifest(_project()))
    assert set(defs) == {"shop.daily_a", "shop.daily_b", "shop.hourly"}
    assert defs["shop.daily_a"] is defs["shop.daily_b"]
    assert defs["shop.daily_a"].get_first_partition_key() == "2024-01-01"
    assert defs["shop.hourly"].get_first_partition_key() == "2024-01-02-00:00"
    assert set(time_partitions(read_manifest(_project()), "hour")) == {"shop.hourly"}
    assert units_in(defs, read_manifest(_project())) == {
        "day": ["shop.daily_a", "shop.daily_b"],
        "hour": ["shop.hourly"],
    }


def test_partition_keys_are_the_intervals_sqlmesh_evaluated():
    daily = time_partitions(read_manifest(_project()))["shop.daily_a"]
    intervals = [
        ["2024-01-02T00:00:00Z", "2024-01-04T00:00:00Z"],
        ["2024-01-06T00:00:00Z", "2024-01-07T00:00:00Z"],
    ]
    assert partition_keys(daily, intervals) == ["2024-01-02", "2024-01-03", "2024-01-06"]
    assert partition_keys(daily, []) == []


def test_factory_partitions_the_models_and_backfills_in_one_run(make_resource):
    assets = sqlmesh_assets_factory(sqlmesh_resource=make_resource(_project()), time_partitions="day")
    parts = {key: spec.partitions_def for key, spec in assets.specs_by_key.items()}
    assert isinstance(parts[AssetKey(["db", "shop", "daily_a"])], TimeWindowPartitionsDefinition)
    assert (
        parts[AssetKey(["db", "shop", "hourly"])] is None and parts[AssetKey(["db", "shop", "full"])] is None
    )
    assert assets.backfill_policy == BackfillPolicy.single_run()
    plain = sqlmesh_assets_factory(sqlmesh_resource=make_resource(_project()))
    assert all(spec.partitions_def is None for spec in plain.specs) and plain.backfill_policy is None


def test_bad_and_mixed_units_are_one_line_errors(make_resource, project_dir, manifest_file):
    with pytest.raises(
        SQLMeshPipesDefinitionError,
        match=r"time_partitions='weekly' is not a SQLMesh interval unit: pass True",
    ):
        sqlmesh_assets_factory(sqlmesh_resource=make_resource(_project()), time_partitions="weekly")
    manifest_file(_project())
    with pytest.raises(
        SQLMeshPipesDefinitionError,
        match=r"units \(day: shop.daily_a, shop.daily_b; hour: shop.hourly\).*time_partitions='day'",
    ):
        sqlmesh_definitions_factory(
            project_dir=str(project_dir), time_partitions=True, executor_path="/absent.js"
        )
