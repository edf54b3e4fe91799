from __future__ import annotations

from datetime import datetime, timezone

import pytest
from dagster import AssetCheckKey, AssetKey
from dagster._core.pipes.context import _convert_asset_key

from sqlmesh_pipes.extras import EXTRAS_KEY, build_run_extras, pipes_asset_key, pipes_extras
from sqlmesh_pipes.specs import SelectedCheckRef
from sqlmesh_pipes_contracts import read_run_extras


@pytest.mark.parametrize("parts", [["a", "b"], ["a/b", "c"], ["back\\slash", "x"], ["single"]])
def test_asset_key_strings_match_dagsters_pipes_encoding(parts):
    key = AssetKey(parts)
    assert pipes_asset_key(key) == _convert_asset_key(key)
    assert AssetKey.from_escaped_user_string(pipes_asset_key(key)) == key


def test_build_run_extras():
    orders, revenue = AssetKey(["db", "staging", "orders"]), AssetKey(["db", "marts", "revenue"])
    extras = build_run_extras(
        models={orders: "staging.orders", revenue: "marts.revenue"},
        checks=[
            (AssetCheckKey(orders, "not_null_2"), SelectedCheckRef("staging.orders", "not_null", 1)),
            (AssetCheckKey(orders, "not_null"), SelectedCheckRef("staging.orders", "not_null", 0)),
        ],
        project_dir="/p",
        environment="dev",
        gateway="local",
        ignore_cron=True,
        concurrent_tasks=4,
        manifest_path="/p/m.json",
        execution_time=datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc),
    )
    data = extras.to_json()
    # The strict reader generated from the zod schema takes it back unchanged.
    assert read_run_extras(data) == extras
    assert data["version"] == 1
    assert list(data["models"].items()) == [
        ("db/marts/revenue", "marts.revenue"),
        ("db/staging/orders", "staging.orders"),
    ]
    assert data["checks"] == [
        {
            "asset_key": "db/staging/orders",
            "check_name": "not_null",
            "model": "staging.orders",
            "audit": "not_null",
            "audit_index": 0,
        },
        {
            "asset_key": "db/staging/orders",
            "check_name": "not_null_2",
            "model": "staging.orders",
            "audit": "not_null",
            "audit_index": 1,
        },
    ]
    assert data["execution_time"] == "2026-01-02T03:04:00+00:00"
    assert data["start"] is None and data["end"] is None
    assert (data["environment"], data["gateway"], data["ignore_cron"], data["concurrent_tasks"]) == (
        "dev",
        "local",
        True,
        4,
    )
    assert pipes_extras(extras) == {EXTRAS_KEY: data} and EXTRAS_KEY == "sqlmesh_pipes"


def test_checks_only_extras_have_no_models():
    key = AssetKey(["a"])
    extras = build_run_extras(
        models={},
        checks=[(AssetCheckKey(key, "c"), SelectedCheckRef("s.a", "c", 0))],
        project_dir="/p",
        environment="prod",
    )
    assert extras.models == {} and len(extras.checks) == 1


def test_restate_models_only_when_asked():
    common = {"models": {}, "checks": [], "project_dir": "/p", "environment": "prod"}
    assert "restate_models" not in build_run_extras(**common).to_json()
    data = build_run_extras(**common, restate_models=["shop.items"]).to_json()
    assert data["restate_models"] == ["shop.items"]
    assert read_run_extras(data).restate_models == ("shop.items",)
