from __future__ import annotations

from datetime import datetime, timezone

import pytest
from dagster import AssetCheckKey, AssetKey
from dagster._core.pipes.context import _convert_asset_key

from sqlmesh_pipes.extras import EXTRAS_KEY, build_run_extras, pipes_asset_key, pipes_extras
from sqlmesh_pipes.specs import SelectedCheckRef

# The keys of RunExtras in src/extras.ts (strict there: nothing else may be sent).
RUN_EXTRAS_KEYS = {
    "version",
    "models",
    "checks",
    "project_dir",
    "environment",
    "gateway",
    "ignore_cron",
    "execution_time",
    "start",
    "end",
    "sqlmesh_python",
    "console",
    "termination_timeout_seconds",
    "concurrent_tasks",
    "manifest_path",
}
SELECTED_CHECK_KEYS = {"asset_key", "check_name", "model", "audit", "audit_index"}


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
    assert set(extras) <= RUN_EXTRAS_KEYS
    assert extras["version"] == 1
    assert list(extras["models"].items()) == [
        ("db/marts/revenue", "marts.revenue"),
        ("db/staging/orders", "staging.orders"),
    ]
    assert extras["checks"] == [
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
    assert all(set(c) == SELECTED_CHECK_KEYS for c in extras["checks"])
    assert extras["execution_time"] == "2026-01-02T03:04:00+00:00"
    assert extras["start"] is None and extras["end"] is None
    assert (extras["environment"], extras["gateway"], extras["ignore_cron"], extras["concurrent_tasks"]) == (
        "dev",
        "local",
        True,
        4,
    )
    assert pipes_extras(extras) == {EXTRAS_KEY: dict(extras)} and EXTRAS_KEY == "sqlmesh_pipes"


def test_checks_only_extras_have_no_models():
    key = AssetKey(["a"])
    extras = build_run_extras(
        models={},
        checks=[(AssetCheckKey(key, "c"), SelectedCheckRef("s.a", "c", 0))],
        project_dir="/p",
        environment="prod",
    )
    assert extras["models"] == {} and len(extras["checks"]) == 1
