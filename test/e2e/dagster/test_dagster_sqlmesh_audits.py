"""Audits that are not on project models (test/fixtures/e2e-projects/audits): landing.src is an
external table with a blocking not_null and a non-blocking accepted_range; two standalone audits
query aud.orders (orders_small) and aud.orders + landing.src (orders_match_src). SQLMesh runs them
all in `sqlmesh run`; each must be an asset check reporting exactly what SQLMesh evaluated:
external audits on the external asset, standalone audits on the model they check."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from dagster import AssetCheckKey, AssetCheckSeverity, AssetKey, AssetSelection, materialize
from dagster_e2e_helpers import check_evaluations, key, materialized, shop_definitions, step_failure_text, user_messages

from sqlmesh_pipes import SQLMeshResource, sqlmesh_assets_factory

SRC = AssetKey(["db", "landing", "src"])
ORDERS = key("aud.orders")
EXPECTED_CHECKS = {
    AssetCheckKey(SRC, "not_null"),
    AssetCheckKey(SRC, "accepted_range"),
    AssetCheckKey(ORDERS, "orders_small"),
    AssetCheckKey(ORDERS, "orders_match_src"),
}


def run_selection(project: Path, instance, selection):
    resource = SQLMeshResource(project_dir=str(project))
    assets = sqlmesh_assets_factory(sqlmesh_resource=resource)
    return materialize([assets], instance=instance, resources={"sqlmesh": resource}, selection=selection, raise_on_error=False)


def write_src(project: Path, rows: list[tuple[int | None, int]]) -> None:
    with duckdb.connect(str(project / "db.duckdb")) as con:
        con.execute("CREATE OR REPLACE TABLE landing.src (id INT, v INT)")
        con.executemany("INSERT INTO landing.src VALUES (?, ?)", rows)


def evaluations(result) -> dict[tuple[str, str], tuple[bool, AssetCheckSeverity]]:
    return {name: (e.passed, e.severity) for name, e in check_evaluations_by_key(result).items()}


def check_evaluations_by_key(result):
    return {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}


def test_manifest_lists_external_and_standalone_audits_and_the_checks_exist(audits_project):
    manifest = json.loads((audits_project / "sqlmesh-pipes-manifest.json").read_text())
    assert [a["name"] for a in manifest["external_models"][0]["audits"]] == ["not_null", "accepted_range"]
    assert {a["name"]: a["depends_on"] for a in manifest["standalone_audits"]} == {
        "orders_match_src": ['"db"."aud"."orders"', '"db"."landing"."src"'],
        "orders_small": ['"db"."aud"."orders"'],
    }
    assets = shop_definitions(audits_project).resolve_assets_def(ORDERS)
    assert set(assets.check_keys) == EXPECTED_CHECKS
    match = assets.get_spec_for_check_key(AssetCheckKey(ORDERS, "orders_match_src"))
    assert {dep.asset_key for dep in match.additional_deps} == {SRC}


def test_every_audit_sqlmesh_ran_is_a_check(audits_project, dagster_instance, assert_pipes_clean):
    write_src(audits_project, [(1, 5), (2, 2000), (3, -1)])  # v -1: accepted_range warns; 2000: orders_small warns
    result = (
        shop_definitions(audits_project)
        .resolve_implicit_global_asset_job_def()
        .execute_in_process(instance=dagster_instance, raise_on_error=False)
    )
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)  # SQLMesh only warned
    assert set(materialized(result)) == {ORDERS, key("aud.other")}
    assert evaluations(result) == {
        ("db/landing/src", "not_null"): (True, AssetCheckSeverity.ERROR),
        ("db/landing/src", "accepted_range"): (False, AssetCheckSeverity.WARN),
        ("db/aud/orders", "orders_small"): (False, AssetCheckSeverity.WARN),
        ("db/aud/orders", "orders_match_src"): (True, AssetCheckSeverity.WARN),
    }
    small = check_evaluations_by_key(result)[("db/aud/orders", "orders_small")]
    assert small.metadata["sqlmesh/failing_rows"].value == 1


def test_a_blocking_external_audit_fails_the_run_and_skips_its_children(audits_project, dagster_instance, assert_pipes_clean):
    write_src(audits_project, [(1, 5), (None, 7)])
    result = (
        shop_definitions(audits_project)
        .resolve_implicit_global_asset_job_def()
        .execute_in_process(instance=dagster_instance, raise_on_error=False)
    )
    assert_pipes_clean(dagster_instance, result.run_id)
    assert not result.success
    assert set(materialized(result)) == {key("aud.other")}  # independent of landing.src
    assert evaluations(result) == {
        ("db/landing/src", "not_null"): (False, AssetCheckSeverity.ERROR),
        ("db/landing/src", "accepted_range"): (True, AssetCheckSeverity.WARN),
    }
    failure = step_failure_text(result)
    assert "landing.src: NodeAuditsErrors: Audits failed: not_null" in failure, failure
    messages = user_messages(dagster_instance, result.run_id)
    assert any(m.startswith("aud.orders: not materialized — skipped by SQLMesh") for m in messages), messages


def test_external_checks_alone_run_only_the_audits(audits_project, dagster_instance, assert_pipes_clean):
    write_src(audits_project, [(1, -5)])
    result = run_selection(audits_project, dagster_instance, AssetSelection.checks_for_assets(SRC))
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)
    assert materialized(result) == {}
    assert evaluations(result) == {
        ("db/landing/src", "not_null"): (True, AssetCheckSeverity.ERROR),
        ("db/landing/src", "accepted_range"): (False, AssetCheckSeverity.WARN),
    }
    with duckdb.connect(str(audits_project / "db.duckdb"), read_only=True) as con:
        names = {row[0] for row in con.execute("SELECT DISTINCT name FROM sqlmesh._intervals").fetchall()}
    assert names == {'"db"."landing"."src"'}  # no model was evaluated


def test_standalone_checks_in_a_partial_run_say_why_they_did_not_run(audits_project, dagster_instance, assert_pipes_clean):
    # SQLMesh's --select-model cannot select a standalone audit: only a run of the whole project
    # runs them, so a partial selection must say so instead of showing nothing.
    selection = AssetSelection.assets(ORDERS).without_checks() | AssetSelection.checks(AssetCheckKey(ORDERS, "orders_small"))
    result = run_selection(audits_project, dagster_instance, selection)
    assert_pipes_clean(dagster_instance, result.run_id)
    assert result.success, step_failure_text(result)
    assert set(materialized(result)) == {ORDERS}
    assert check_evaluations(result) == {}
    messages = user_messages(dagster_instance, result.run_id)
    why = "standalone audit orders_small: not evaluated — SQLMesh runs standalone audits only in a run of the whole project"
    assert any(m.startswith(why) for m in messages), messages
