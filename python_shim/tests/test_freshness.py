"""Freshness from crons: each model's policy, and Dagster's own evaluator judging it."""

import asyncio
from datetime import timedelta

import pytest
from dagster import AssetKey, AssetMaterialization, DagsterInstance, Definitions, FreshnessPolicy, multi_asset
from dagster._core.definitions import freshness_evaluator
from dagster._core.definitions.freshness import FreshnessState
from dagster._core.loader import LoadingContextForTest
from shim_helpers import manifest, model

from sqlmesh_pipes import SQLMeshTranslator, SQLMeshTranslatorSettings
from sqlmesh_pipes.manifest import parse_manifest
from sqlmesh_pipes.specs import build_sqlmesh_specs

DAILY = AssetKey(["db", "shop", "daily"])


def _policies(translator: SQLMeshTranslator | None = None) -> dict[AssetKey, FreshnessPolicy | None]:
    data = manifest(
        [
            model("shop.daily"),
            model("shop.hourly", cron="@hourly"),
            model("shop.weekday", cron="0 9 * * 1-5", cron_period_seconds=3 * 86400),
            model("shop.seed", kind="SEED"),
            model("shop.odd_cron", cron="not a cron", cron_period_seconds=None),
        ]
    )
    specs = build_sqlmesh_specs(parse_manifest(data), translator or SQLMeshTranslator())
    return {spec.key: spec.freshness_policy for spec in specs.asset_specs}


def test_the_window_is_the_crons_longest_gap_plus_the_lag():
    policies = _policies()
    hour = timedelta(hours=1)
    assert policies[DAILY] == FreshnessPolicy.time_window(fail_window=timedelta(days=1) + hour)
    assert policies[AssetKey(["db", "shop", "hourly"])] == FreshnessPolicy.time_window(fail_window=2 * hour)
    # Friday 09:00 → Monday 09:00: a weekday model is not overdue on a Sunday.
    weekday = policies[AssetKey(["db", "shop", "weekday"])]
    assert weekday == FreshnessPolicy.time_window(fail_window=timedelta(days=3) + hour)
    # A seed loads once; an unreadable cron says nothing: no policy rather than a false alarm.
    assert policies[AssetKey(["db", "shop", "seed"])] is None
    assert policies[AssetKey(["db", "shop", "odd_cron"])] is None


def test_the_lag_is_a_setting_and_the_policy_a_translator_hook():
    lagged = _policies(
        SQLMeshTranslator(settings=SQLMeshTranslatorSettings(freshness_lag=timedelta(hours=6)))
    )
    assert lagged[DAILY] == FreshnessPolicy.time_window(fail_window=timedelta(hours=30))
    assert set(
        _policies(SQLMeshTranslator(settings=SQLMeshTranslatorSettings(freshness_lag=None))).values()
    ) == {None}

    class Strict(SQLMeshTranslator):
        def get_freshness_policy(self, model):
            return FreshnessPolicy.time_window(fail_window=timedelta(minutes=30))

    assert _policies(Strict())[DAILY] == FreshnessPolicy.time_window(fail_window=timedelta(minutes=30))


@pytest.mark.parametrize(
    ("age", "state"), [(timedelta(hours=2), FreshnessState.PASS), (timedelta(hours=26), FreshnessState.FAIL)]
)
def test_dagsters_evaluator_fails_a_stale_daily_model_and_passes_a_fresh_one(monkeypatch, age, state):
    specs = build_sqlmesh_specs(parse_manifest(manifest([model("shop.daily")])), SQLMeshTranslator())

    @multi_asset(specs=list(specs.asset_specs))
    def assets():  # never run: the materialization below is reported directly
        yield from ()

    node = Definitions(assets=[assets]).resolve_asset_graph().get(DAILY)
    with DagsterInstance.ephemeral() as instance:
        instance.report_runless_asset_event(AssetMaterialization(asset_key=DAILY))
        materialized_at = instance.get_latest_materialization_event(DAILY).timestamp
        monkeypatch.setattr(
            freshness_evaluator, "get_current_timestamp", lambda: materialized_at + age.total_seconds()
        )
        evaluator = freshness_evaluator.TimeWindowFreshnessPolicyEvaluator()
        assert asyncio.run(evaluator.evaluate_freshness(LoadingContextForTest(instance), node)) == state
